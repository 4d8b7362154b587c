import type { Evidence, EvidenceSource, EvidenceSourceStatus, HealthEvidence, HistoryEvidence, LogEvidence, RuntimeEvidence } from '@atb/contracts';
import { evidenceFacts } from './evidence-facts.js';
import type { MetricsReading } from './metric-queries.js';

/**
 * The live sources of evidence; one that is not set up is left out (recorded `not-configured`).
 * Each is handed a signal that aborts when the budget is spent.
 */
export interface EvidencePorts {
  health?: (signal: AbortSignal) => Promise<HealthEvidence | undefined>;
  runtime?: (signal: AbortSignal) => Promise<RuntimeEvidence | undefined>;
  metrics?: (signal: AbortSignal) => Promise<MetricsReading>;
  logs?: (signal: AbortSignal) => Promise<LogEvidence>;
}

interface Reading<T> {
  status: EvidenceSourceStatus;
  value?: T;
}

/** Runs one source until it answers or the deadline passes; never throws. */
async function readSource<T>(source: EvidenceSource, read: ((signal: AbortSignal) => Promise<T>) | undefined, deadline: AbortSignal, started: number): Promise<Reading<T>> {
  const elapsed = () => Math.round(performance.now() - started);
  if (!read) return { status: { source, status: 'not-configured', duration_ms: 0 } };
  let onAbort: (() => void) | undefined;
  const expired = new Promise<never>((_resolve, reject) => {
    onAbort = () => reject(deadline.reason);
    if (deadline.aborted) onAbort();
    else deadline.addEventListener('abort', onAbort, { once: true });
  });
  try {
    const value = await Promise.race([read(deadline), expired]);
    // A source with nothing to say about this target (health of a service with no probe).
    if (value === undefined) return { status: { source, status: 'not-configured', duration_ms: elapsed() } };
    return { status: { source, status: 'ok', duration_ms: elapsed() }, value };
  } catch (error) {
    const detail = deadline.aborted ? 'no answer within the evidence budget' : error instanceof Error ? error.message : String(error);
    return { status: { source, status: 'unavailable', detail: detail.slice(0, 500), duration_ms: elapsed() } };
  } finally {
    if (onAbort) deadline.removeEventListener('abort', onAbort);
  }
}

/**
 * Gathers every source in parallel within `budgetMs`: a source that fails, or hangs past the
 * budget, costs at most the budget and is recorded `unavailable`; the rest is kept. The history
 * is already known (from the store) and always present. Facts are derived last.
 */
export async function gatherEvidence(ports: EvidencePorts, history: HistoryEvidence, budgetMs: number, now: () => Date = () => new Date()): Promise<Evidence> {
  const started = performance.now();
  const gatheredAt = now();
  const deadline = AbortSignal.timeout(budgetMs);
  const [health, runtime, metrics, logs] = await Promise.all([
    readSource('health', ports.health, deadline, started),
    readSource('runtime', ports.runtime, deadline, started),
    readSource('metrics', ports.metrics, deadline, started),
    readSource('logs', ports.logs, deadline, started),
  ]);
  const evidence: Omit<Evidence, 'facts'> = {
    gathered_at: gatheredAt.toISOString(),
    budget_ms: budgetMs,
    duration_ms: Math.round(performance.now() - started),
    sources: [health.status, runtime.status, metrics.status, logs.status, { source: 'history', status: 'ok', duration_ms: 0 }],
    ...(health.value ? { health: health.value } : {}),
    ...(runtime.value ? { runtime: runtime.value } : {}),
    ...(metrics.value ? { metrics: metrics.value.metrics, queries: metrics.value.queries } : {}),
    ...(logs.value ? { logs: logs.value } : {}),
    history,
  };
  return { ...evidence, facts: evidenceFacts(evidence, gatheredAt) };
}
