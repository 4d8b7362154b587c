/**
 * Fills in the `evidence` of written scenarios from their recorded tool outputs, through the
 * same digest functions the agent uses live: health detail from `health`, the runtime view
 * from `container_inspect`, log signatures from `container_logs`, metric readings from
 * `metrics` (kept when the scenario already records them). Drill-captured scenarios are left
 * as captured.
 *
 *   npx tsx --conditions=@atb/source apps/devops-agent/src/evaluation/record-evidence.ts [--scenarios <dir>]
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import type { Evidence, EvidenceSourceStatus, MetricsEvidence } from '@atb/contracts';
import { healthDetail } from '../analysis/evidence/health-detail.js';
import { historyView } from '../analysis/evidence/history-view.js';
import { logSignatures } from '../analysis/evidence/log-signatures.js';
import { runtimeView } from '../analysis/evidence/runtime-view.js';
import { defaultScenarioDirectory, scenarioSchema } from './scenario.js';

const { values } = parseArgs({ options: { scenarios: { type: 'string' } } });
const directory = values.scenarios ?? defaultScenarioDirectory();

/** Readings named by the runbook queries scenarios record under `metrics`. */
function metricsOf(recorded: Record<string, number | null> | undefined): MetricsEvidence | undefined {
  const metrics: MetricsEvidence = {};
  for (const [query, value] of Object.entries(recorded ?? {})) {
    if (value === null) continue;
    if (/^up\b.*== 0/.test(query) || /count\(up/.test(query)) metrics.up = value > 0 ? 0 : 1;
    else if (query.startsWith('process_resident_memory_bytes')) metrics.memory_bytes = value;
    else if (query.startsWith('histogram_quantile(0.99')) metrics.latency_p99_seconds = value;
  }
  return Object.keys(metrics).length > 0 ? metrics : undefined;
}

for (const file of readdirSync(directory).filter((name) => name.endsWith('.json')).sort()) {
  const path = `${directory}/${file}`;
  const raw = JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
  const scenario = scenarioSchema.parse(raw);
  if (scenario.origin.kind === 'drill') continue;
  const at = scenario.alertmanager.alerts[0]?.startsAt ?? new Date().toISOString();
  const gatheredAt = new Date(Date.parse(at) + 120_000).toISOString();
  const sources: EvidenceSourceStatus[] = [];
  const evidence: Omit<Evidence, 'facts'> = { gathered_at: gatheredAt, budget_ms: 8000, duration_ms: 0, sources, history: historyView(scenario) };
  if (scenario.health) {
    const reading = { ...scenario.health, response_time_ms: scenario.health.response_time_ms ?? 0, checked_at: gatheredAt };
    evidence.health = healthDetail(reading, 2000);
    sources.push({ source: 'health', status: 'ok', duration_ms: reading.response_time_ms });
  } else sources.push({ source: 'health', status: 'not-configured', duration_ms: 0 });
  const runtime = runtimeView(scenario.tools.container_inspect);
  if (runtime) evidence.runtime = runtime;
  sources.push(runtime ? { source: 'runtime', status: 'ok', duration_ms: 12 } : { source: 'runtime', status: 'unavailable', detail: 'no inspect recorded', duration_ms: 0 });
  const metrics = scenario.evidence?.metrics ?? metricsOf(scenario.metrics);
  if (metrics) evidence.metrics = metrics;
  sources.push(metrics ? { source: 'metrics', status: 'ok', duration_ms: 20 } : { source: 'metrics', status: 'not-configured', duration_ms: 0 });
  const logs = scenario.tools.container_logs;
  if (typeof logs === 'string') {
    evidence.logs = logSignatures(logs.split('\n').slice(-200));
    sources.push({ source: 'logs', status: 'ok', duration_ms: 15 });
  } else sources.push({ source: 'logs', status: 'unavailable', detail: 'no logs recorded', duration_ms: 0 });
  sources.push({ source: 'history', status: 'ok', duration_ms: 0 });
  raw.evidence = evidence;
  writeFileSync(path, `${JSON.stringify(raw, null, 2)}\n`);
}
