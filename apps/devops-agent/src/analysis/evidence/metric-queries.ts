import type { MetricQuery, MetricsEvidence } from '@atb/contracts';

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

/** The metric readings and every query they came from, as sent, with its value. */
export interface MetricsReading {
  /** The readings with data (a query with none is left out). */
  metrics: MetricsEvidence;
  /** Every query in {@link METRIC_QUERIES} order, its value absent when it had no data. */
  queries: MetricQuery[];
}

/** A query template for one service: `{service}` replaced by the name stripped to word characters and dashes. */
export const queryFor = (template: string, service: string) => template.replaceAll('{service}', service.replace(/[^\w-]/g, ''));

/** Runs one instant query and records it with its answer; throws when Prometheus fails. */
export async function runQuery(baseUrl: string, name: string, query: string, signal: AbortSignal): Promise<MetricQuery> {
  const value = await instantValue(baseUrl, query, signal);
  return { name, query, ...(value !== undefined ? { value } : {}) };
}

/** Reads every metric query in parallel. */
export async function readMetrics(baseUrl: string, service: string, signal: AbortSignal): Promise<MetricsReading> {
  const queries = await Promise.all(Object.entries(METRIC_QUERIES).map(([name, template]) => runQuery(baseUrl, name, queryFor(template, service), signal)));
  const metrics = Object.fromEntries(queries.flatMap((query) => (query.value !== undefined ? [[query.name, query.value]] : []))) as MetricsEvidence;
  return { metrics, queries };
}
