import { Counter, collectDefaultMetrics, Histogram, Registry } from 'prom-client';

/**
 * A Prometheus registry per service instance (not the global one, so that tests can run
 * several services in one process) with process metrics and the HTTP metrics every
 * service exposes.
 */
export interface ServiceMetrics {
  registry: Registry;
  httpRequestDuration: Histogram<'method' | 'route' | 'status_code'>;
  httpRequests: Counter<'method' | 'route' | 'status_code'>;
}

/**
 * How often the event-loop delay histogram (`nodejs_eventloop_lag_*`) samples, in ms. A stall
 * longer than this is measured in full; prom-client's default of 10 ms wakes an idle process
 * 100 times a second (about 0.5% of a core doing nothing).
 */
export const EVENT_LOOP_SAMPLE_MS = 100;

export function createServiceMetrics(service: string): ServiceMetrics {
  const registry = new Registry();
  registry.setDefaultLabels({ service });
  collectDefaultMetrics({ register: registry, eventLoopMonitoringPrecision: EVENT_LOOP_SAMPLE_MS });
  const httpRequestDuration = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'HTTP request duration in seconds, by method, route template and status code.',
    labelNames: ['method', 'route', 'status_code'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });
  const httpRequests = new Counter({
    name: 'http_requests_total',
    help: 'HTTP requests answered, by method, route template and status code.',
    labelNames: ['method', 'route', 'status_code'] as const,
    registers: [registry],
  });
  return { registry, httpRequestDuration, httpRequests };
}
