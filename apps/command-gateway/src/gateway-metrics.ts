import { Counter, Histogram, type Registry } from 'prom-client';

/** The gateway's own Prometheus metrics, registered on the service's registry. */
export interface GatewayMetrics {
  /** Requests answered, by overall_status and operation (`none` when refused before a plan). */
  requests: Counter<'status' | 'operation'>;
  /** Time spent in the container runtime, by operation and status. */
  executionDuration: Histogram<'operation' | 'status'>;
  /** Refusals by reason code (`forbidden_intent`, `not_allowlisted`, `rate_limited`, …). */
  rejections: Counter<'reason'>;
}

export function createGatewayMetrics(registry: Registry): GatewayMetrics {
  return {
    requests: new Counter({
      name: 'gateway_requests_total',
      help: 'Command requests answered, by overall_status and operation.',
      labelNames: ['status', 'operation'] as const,
      registers: [registry],
    }),
    executionDuration: new Histogram({
      name: 'gateway_execution_duration_seconds',
      help: 'Duration of operations executed through the container runtime, by operation and status.',
      labelNames: ['operation', 'status'] as const,
      buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 30, 60],
      registers: [registry],
    }),
    rejections: new Counter({
      name: 'gateway_rejections_total',
      help: 'Command requests rejected, by reason code.',
      labelNames: ['reason'] as const,
      registers: [registry],
    }),
  };
}
