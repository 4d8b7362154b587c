import type { Evidence, MetricQuery } from './evidence.js';

const mebibytes = (bytes: number) => `${Math.round(bytes / 1048576)} MiB`;
const percent = (ratio: number) => `${Math.round(ratio * 1000) / 10}%`;
/** Under a second in whole milliseconds, else seconds to two places: `22 ms`, `1.35 s`. */
export const duration = (seconds: number) => (seconds < 1 ? `${Math.round(seconds * 1000)} ms` : `${Math.round(seconds * 100) / 100} s`);

/** A reading in the unit its name implies (`…_ratio` a percentage, `…_bytes` MiB, `…_seconds` a duration), else the number. */
export function readingText(name: string, value: number): string {
  if (name.endsWith('_ratio')) return percent(value);
  if (name.endsWith('_bytes')) return mebibytes(value);
  if (name.endsWith('_seconds')) return duration(value);
  return String(Math.round(value * 10_000) / 10_000);
}

/** A query's answer for humans: the reading in its unit, or `no data`. */
export const queryValueText = (query: MetricQuery) => (query.value === undefined ? 'no data' : readingText(query.name, query.value));

/** The evidence as short sentences for humans (the analysis' root cause, `atb incident`). */
export function describeEvidence(evidence: Evidence): string[] {
  const lines: string[] = [];
  const { health, runtime, metrics, logs, history } = evidence;
  if (health) {
    const detail = health.error ?? [health.http_status ? `HTTP ${health.http_status}` : undefined, health.status].filter(Boolean).join(' ');
    lines.push(`health ${health.outcome}${detail ? ` (${detail})` : ''}${health.response_time_ms !== undefined ? ` in ${health.response_time_ms} ms` : ''}`);
    if (health.dependencies_down?.length) lines.push(`health reports dependencies down: ${health.dependencies_down.join(', ')}`);
  }
  if (runtime) {
    const parts = [runtime.state];
    if (runtime.exit_code !== undefined) parts.push(`exit code ${runtime.exit_code}`);
    if (runtime.oom_killed) parts.push('OOM-killed');
    if (runtime.restart_count) parts.push(`${runtime.restart_count} restarts`);
    if (runtime.image) parts.push(`image ${runtime.image}`);
    if (runtime.previous_image) parts.push(`previously ${runtime.previous_image}${runtime.image_changed_at ? `, changed at ${runtime.image_changed_at}` : ''}`);
    lines.push(`container ${parts.join(', ')}`);
  }
  if (metrics) {
    const parts: string[] = [];
    if (metrics.up !== undefined) parts.push(`up=${metrics.up}`);
    if (metrics.error_ratio !== undefined) parts.push(`error ratio ${percent(metrics.error_ratio)}`);
    if (metrics.latency_p99_seconds !== undefined) parts.push(`p99 ${duration(metrics.latency_p99_seconds)}`);
    if (metrics.memory_bytes !== undefined) parts.push(`memory ${mebibytes(metrics.memory_bytes)}`);
    if (metrics.memory_predicted_bytes !== undefined) parts.push(`${mebibytes(metrics.memory_predicted_bytes)} predicted in 1 h`);
    if (metrics.memory_limit_bytes !== undefined) parts.push(`limit ${mebibytes(metrics.memory_limit_bytes)}`);
    if (metrics.disk_used_ratio !== undefined) parts.push(`disk ${percent(metrics.disk_used_ratio)} used`);
    if (metrics.fds_used_ratio !== undefined) parts.push(`fds ${percent(metrics.fds_used_ratio)} used`);
    if (parts.length) lines.push(`metrics: ${parts.join(', ')}`);
  }
  for (const signature of logs?.signatures.slice(0, 3) ?? []) {
    lines.push(`logs${logs?.origin === 'loki' ? ' (Loki)' : ''}: ${signature.count}× ${signature.kind}${signature.dependency ? ` (${signature.dependency})` : ''}: "${signature.example.slice(0, 120)}"`);
  }
  if (history && (history.flap_count > 0 || history.ineffective_restarts > 0)) {
    lines.push(`history: re-opened ${history.flap_count} time(s), ${history.ineffective_restarts} ineffective and ${history.effective_restarts} effective restart(s)`);
  }
  const missing = evidence.sources.filter((source) => source.status === 'unavailable');
  if (missing.length) lines.push(`unavailable: ${missing.map((source) => `${source.source} (${source.detail ?? 'failed'})`).join('; ')}`);
  return lines;
}
