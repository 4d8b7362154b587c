import type { MetricsEvidence } from '@atb/contracts';

/** The PromQL behind each metric reading; `{service}` is replaced by the service's name. */
export const METRIC_QUERIES: Record<keyof MetricsEvidence, string> = {
  up: 'min(up{job=~".*{service}.*"})',
  memory_bytes: 'max(process_resident_memory_bytes{job=~".*{service}.*"})',
  memory_predicted_bytes: 'max(predict_linear(process_resident_memory_bytes{job=~".*{service}.*"}[15m], 3600))',
  memory_limit_bytes: 'max(container_spec_memory_limit_bytes{name=~".*{service}.*"} > 0)',
  error_ratio:
    'sum(rate(http_requests_total{job=~".*{service}.*",status_code=~"5.."}[5m])) / sum(rate(http_requests_total{job=~".*{service}.*"}[5m]))',
  latency_p99_seconds: 'histogram_quantile(0.99, sum by (le) (rate(http_request_duration_seconds_bucket{job=~".*{service}.*"}[5m])))',
  disk_used_ratio: 'max(1 - node_filesystem_avail_bytes{mountpoint="/"} / node_filesystem_size_bytes{mountpoint="/"})',
  fds_used_ratio: 'max(process_open_fds{job=~".*{service}.*"} / process_max_fds{job=~".*{service}.*"})',
};

/** The first sample of an instant query, `undefined` when empty; throws when Prometheus fails. */
async function instantValue(baseUrl: string, query: string, signal: AbortSignal): Promise<number | undefined> {
  const url = new URL('/api/v1/query', baseUrl);
  url.searchParams.set('query', query);
  const response = await fetch(url, { signal });
  if (!response.ok) throw new Error(`Prometheus answered ${response.status} to ${query.slice(0, 80)}`);
  const body = (await response.json()) as { data?: { result?: { value?: [number, string] }[] } };
  const sample = body.data?.result?.[0]?.value?.[1];
  const value = sample === undefined ? Number.NaN : Number(sample);
  return Number.isFinite(value) ? value : undefined;
}

/** Reads every metric query in parallel; a query with no data is left out. */
export async function readMetrics(baseUrl: string, service: string, signal: AbortSignal): Promise<MetricsEvidence> {
  const safeService = service.replace(/[^\w-]/g, '');
  const entries = await Promise.all(
    Object.entries(METRIC_QUERIES).map(async ([key, template]) => [key, await instantValue(baseUrl, template.replaceAll('{service}', safeService), signal)] as const),
  );
  return Object.fromEntries(entries.filter(([, value]) => value !== undefined)) as MetricsEvidence;
}
