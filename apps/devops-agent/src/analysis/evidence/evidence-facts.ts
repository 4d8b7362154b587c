import type { Evidence } from '@atb/contracts';

/** Thresholds behind the facts; a reading past one is a fact runbooks can match on. */
export const FACT_THRESHOLDS = {
  errorRatio: 0.05,
  latencyP99Seconds: 1,
  memoryOfLimit: 0.9,
  /** Predicted memory an hour ahead, as a multiple of now, that counts as growth. */
  memoryGrowth: 1.25,
  diskUsed: 0.9,
  fdsUsed: 0.9,
  /** Re-openings that make an incident flapping. */
  flaps: 3,
  /** Ineffective restarts after which restarting again is pointless. */
  ineffectiveRestarts: 2,
  /** Minutes after an image change in which new failures are blamed on it. */
  deployWindowMinutes: 60,
} as const;

const DEPENDENCY_SIGNATURES = new Set(['dependency-refused', 'dependency-timeout', 'dependency-slow', 'dns']);

/**
 * Names what the evidence shows, as the facts runbooks match on: how health failed
 * (`health-refused`, `health-timeout`, …), the process (`process-running`, `process-exited`,
 * `oom-killed`, `exit-nonzero`, `image-changed-recently`), readings past their threshold
 * (`error-ratio-high`, `latency-high`, `memory-growing`, `disk-nearly-full`, `fds-nearly-exhausted`),
 * log signatures (`logs-<kind>`), history (`flapping`, `restarts-ineffective`), and the
 * combinations `deploy-regression` and `dependency-failing`.
 */
export function evidenceFacts(evidence: Omit<Evidence, 'facts'>, now = new Date(evidence.gathered_at)): string[] {
  const facts = new Set<string>();
  const { health, runtime, metrics, logs, history } = evidence;
  if (health) facts.add(`health-${health.outcome}`);
  if (health?.dependencies_down?.length) facts.add('health-dependency-down');
  if (runtime) {
    facts.add(runtime.running ? 'process-running' : 'process-exited');
    if (runtime.oom_killed || (!runtime.running && runtime.exit_code === 137 && runtime.oom_killed !== false)) facts.add('oom-killed');
    if (!runtime.running && runtime.exit_code !== undefined) facts.add(runtime.exit_code === 0 ? 'exit-clean' : 'exit-nonzero');
    if (runtime.state === 'restarting' || (runtime.restart_count ?? 0) >= 3) facts.add('restart-looping');
    const changed = runtime.image_changed_at ? Date.parse(runtime.image_changed_at) : Number.NaN;
    if (runtime.previous_image && Number.isFinite(changed) && now.getTime() - changed <= FACT_THRESHOLDS.deployWindowMinutes * 60_000) {
      facts.add('image-changed-recently');
    }
  }
  if (metrics) {
    if (metrics.up === 0) facts.add('target-down');
    if ((metrics.error_ratio ?? 0) > FACT_THRESHOLDS.errorRatio) facts.add('error-ratio-high');
    if ((metrics.latency_p99_seconds ?? 0) > FACT_THRESHOLDS.latencyP99Seconds) facts.add('latency-high');
    const { memory_bytes: memory, memory_predicted_bytes: predicted, memory_limit_bytes: limit } = metrics;
    if (memory !== undefined && limit && memory / limit > FACT_THRESHOLDS.memoryOfLimit) facts.add('memory-near-limit');
    if (memory && predicted !== undefined) {
      const growing = predicted > memory * FACT_THRESHOLDS.memoryGrowth || (limit !== undefined && predicted > limit);
      facts.add(growing ? 'memory-growing' : 'memory-stable');
    }
    if ((metrics.disk_used_ratio ?? 0) > FACT_THRESHOLDS.diskUsed) facts.add('disk-nearly-full');
    if ((metrics.fds_used_ratio ?? 0) > FACT_THRESHOLDS.fdsUsed) facts.add('fds-nearly-exhausted');
  }
  for (const signature of logs?.signatures ?? []) facts.add(`logs-${signature.kind}`);
  if (history) {
    if (history.flap_count >= FACT_THRESHOLDS.flaps) facts.add('flapping');
    if (history.ineffective_restarts >= FACT_THRESHOLDS.ineffectiveRestarts && history.ineffective_restarts > history.effective_restarts) {
      facts.add('restarts-ineffective');
    }
  }
  const failing = ['error-ratio-high', 'logs-exception', 'logs-http-5xx', 'health-http-error', 'health-unhealthy'].some((fact) => facts.has(fact));
  if (facts.has('image-changed-recently') && failing) facts.add('deploy-regression');
  const dependencyLogs = (logs?.signatures ?? []).some((signature) => DEPENDENCY_SIGNATURES.has(signature.kind));
  if ((dependencyLogs || facts.has('health-dependency-down')) && !facts.has('process-exited') && !facts.has('health-refused')) {
    facts.add('dependency-failing');
  }
  return [...facts].sort();
}

/** The dependency the evidence points at (health body first, then log lines), if any. */
export function failingDependency(evidence: Pick<Evidence, 'health' | 'logs'>): string | undefined {
  const fromHealth = evidence.health?.dependencies_down?.[0];
  if (fromHealth) return fromHealth;
  return evidence.logs?.signatures.find((signature) => DEPENDENCY_SIGNATURES.has(signature.kind) && signature.dependency)?.dependency;
}
