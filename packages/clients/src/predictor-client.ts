import {
  type ChaosAcceptedResponse,
  chaosAcceptedResponseSchema,
  chaosClearResponseSchema,
  type FaultReportContract,
  faultReportSchema,
  type HealthResponse,
  healthResponseSchema,
  type PredictionRecord,
  type PredictRequest,
  predictionSchema,
  type RecentPredictionsResponse,
  recentPredictionsResponseSchema,
  type StatusResponse,
  statusResponseSchema,
} from '@atb/contracts';
import type { z } from 'zod';
import { JsonClient, type ServiceClientOptions } from './json-client.js';

/**
 * The market predictor's API, typed by the shared contract: predictions, health, status, and
 * the fault-injection routes drills use (present only with `CHAOS_ENABLED=true`).
 *
 * @example
 * const predictor = new PredictorClient({ baseUrl: 'http://127.0.0.1:8000' });
 * await predictor.injectErrors({ rate: 0.5 });
 */
export class PredictorClient {
  readonly http: JsonClient;

  constructor(options: ServiceClientOptions) {
    this.http = new JsonClient('market-predictor', options);
  }

  /** `GET /health` (503 answers with a body too: unhealthy, not unreachable). */
  health(): Promise<HealthResponse> {
    return this.http.request('/health', { schema: healthResponseSchema, statuses: [200, 503] });
  }

  status(): Promise<StatusResponse> {
    return this.http.request('/status', { schema: statusResponseSchema });
  }

  predict(body: PredictRequest, options: { signal?: AbortSignal } = {}): Promise<PredictionRecord> {
    return this.http.request('/predict', { method: 'POST', body, schema: predictionSchema, ...(options.signal ? { signal: options.signal } : {}) });
  }

  recentPredictions(limit?: number): Promise<RecentPredictionsResponse> {
    return this.http.request('/predictions/recent', { schema: recentPredictionsResponseSchema, query: { limit } });
  }

  injectLatency(body: { ms: number; probability?: number }): Promise<FaultReportContract> {
    return this.http.request('/chaos/latency', { method: 'POST', body, schema: faultReportSchema });
  }

  injectErrors(body: { rate: number }): Promise<FaultReportContract> {
    return this.http.request('/chaos/errors', { method: 'POST', body, schema: faultReportSchema });
  }

  startMemoryLeak(body: { mb_per_second: number; max_mb: number }): Promise<FaultReportContract> {
    return this.http.request('/chaos/memory-leak', { method: 'POST', body, schema: faultReportSchema });
  }

  /** After this the predictor answers nothing (not even `/health`) until it restarts. */
  hang(): Promise<ChaosAcceptedResponse> {
    return this.http.request('/chaos/hang', { method: 'POST', schema: chaosAcceptedResponseSchema, statuses: [202] });
  }

  /** The predictor answers 202, then exits. */
  crash(body: { delay_ms?: number } = {}): Promise<ChaosAcceptedResponse> {
    return this.http.request('/chaos/crash', { method: 'POST', body, schema: chaosAcceptedResponseSchema, statuses: [202] });
  }

  clearFaults(): Promise<z.output<typeof chaosClearResponseSchema>> {
    return this.http.request('/chaos', { method: 'DELETE', schema: chaosClearResponseSchema });
  }
}
