import { PRODUCT_VERSION } from '@atb/contracts';
import { createService, type HealthReport, type Service } from '@atb/service-kit';
import type { LoggerOptions } from 'pino';
import { registerChaosRoutes } from './chaos/chaos-routes.js';
import { FaultInjector, type FaultInjectorOptions } from './chaos/fault-injector.js';
import type { Config } from './config.js';
import { RecentPredictions } from './predictions/recent-predictions.js';
import { createPredictorMetrics } from './predictor-metrics.js';
import { type PredictionRecord, registerPredictRoutes } from './routes/predict-routes.js';

export interface BuildOptions {
  logger?: LoggerOptions | false;
  /** Randomness, clock and process exit of the drills (tests pass their own `exit`). */
  faults?: FaultInjectorOptions;
}

/** The market-predictor service plus the drill state, for tests and the bench. */
export interface MarketPredictor extends Service {
  faults: FaultInjector;
}

/** Sums a counter's samples by one label. */
async function countBy(
  counter: { get(): Promise<{ values: { labels: Record<string, string | number>; value: number }[] }> },
  label: string,
): Promise<{ total: number; by: Record<string, number> }> {
  const by: Record<string, number> = {};
  let total = 0;
  for (const sample of (await counter.get()).values) {
    const key = String(sample.labels[label] ?? 'unknown');
    by[key] = (by[key] ?? 0) + sample.value;
    total += sample.value;
  }
  return { total, by };
}

/**
 * Builds the market-predictor from its configuration: `POST /predict`,
 * `GET /predictions/recent`, the kit's `/health` `/status` `/metrics` `/docs`, and the
 * `/chaos/*` drills when `CHAOS_ENABLED` is true.
 */
export async function buildMarketPredictor(config: Config, options: BuildOptions = {}): Promise<MarketPredictor> {
  const faults = new FaultInjector(options.faults);
  const recent = new RecentPredictions<PredictionRecord>(config.PREDICTION_HISTORY_SIZE);
  // The metrics are registered once the service (and its registry) exists; the callbacks
  // below only run on requests, after that.
  let predictorMetrics: ReturnType<typeof createPredictorMetrics> | undefined;

  const service = await createService({
    name: 'market-predictor',
    version: PRODUCT_VERSION,
    description: 'Price-prediction API with fault injection for drills.',
    config,
    bodyLimit: config.MAX_BODY_BYTES,
    ...(options.logger === undefined ? {} : { logger: options.logger }),
    health: (): HealthReport => {
      const active = faults.activeFaults();
      return {
        status: active.length > 0 ? 'degraded' : 'healthy',
        active_faults: active,
        checks: {
          faults: active.length > 0
            ? { status: 'degraded', message: `injected faults active: ${active.join(', ')}` }
            : { status: 'healthy' },
        },
      };
    },
    status: async () => {
      const requests = await countBy(service.metrics.httpRequests, 'route');
      const predictions = predictorMetrics
        ? await countBy(predictorMetrics.predictions, 'direction')
        : { total: 0, by: {} };
      return {
        requests: { total: requests.total, by_route: requests.by },
        predictions: { total: predictions.total, by_direction: predictions.by, held_in_memory: recent.size },
        chaos: { enabled: config.CHAOS_ENABLED, ...faults.report() },
      };
    },
  });
  predictorMetrics = createPredictorMetrics(service.metrics.registry, faults);

  // The hang drill: hold every request, including /health, before anything else runs.
  service.app.addHook('onRequest', async (request) => {
    if (faults.hung) await faults.holdRequest(request.raw.socket);
  });
  // Held requests would keep the server from closing: drop them first, so SIGTERM still exits.
  // While hung no connection can ever be answered, so every one of them goes (including
  // connections a client opened but has not sent a request on yet).
  service.app.addHook('preClose', async () => {
    if (faults.hung) service.app.server.closeAllConnections();
    faults.releaseHeldRequests();
  });
  service.onClose(() => {
    faults.clear();
  });

  registerPredictRoutes(service.app, { config, metrics: predictorMetrics, recent, faults });
  if (config.CHAOS_ENABLED) registerChaosRoutes(service.app, { faults, maxLeakMb: config.CHAOS_MAX_LEAK_MB });

  return Object.assign(service, { faults });
}
