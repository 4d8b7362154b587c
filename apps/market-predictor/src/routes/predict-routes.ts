import { setTimeout as sleep } from 'node:timers/promises';
import {
  type PredictionRecord,
  predictionSchema,
  predictRequestSchema,
  recentPredictionsQuerySchema,
  recentPredictionsResponseSchema,
  SYMBOL_PATTERN,
} from '@atb/contracts';
import { type App, SystemError } from '@atb/service-kit';
import type { FaultInjector } from '../chaos/fault-injector.js';
import type { Config } from '../config.js';
import { MODEL_NAME, predictPrice } from '../prediction/predict.js';
import type { PredictorMetrics } from '../predictor-metrics.js';
import type { RecentPredictions } from '../predictions/recent-predictions.js';

export { predictionSchema, predictRequestSchema, SYMBOL_PATTERN, type PredictionRecord };

export interface PredictRouteDependencies {
  config: Config;
  metrics: PredictorMetrics;
  recent: RecentPredictions<PredictionRecord>;
  faults: FaultInjector;
}

/** Rounds a price to 6 decimals: enough for any quote, free of binary noise in JSON. */
const roundPrice = (value: number) => Math.round(value * 1e6) / 1e6;

/**
 * `POST /predict` and `GET /predictions/recent`, the routes the latency and error drills act on.
 */
export function registerPredictRoutes(app: App, dependencies: PredictRouteDependencies): void {
  const { config, metrics, recent, faults } = dependencies;

  // The drills hit business routes only, so that /health, /status and /metrics keep reporting.
  const injectFaults = async () => {
    const delay = faults.latencyFor();
    if (delay > 0) await sleep(delay);
    if (faults.shouldFail()) throw new SystemError('injected error (chaos drill)');
  };

  app.post(
    '/predict',
    {
      schema: {
        tags: ['predictions'],
        summary: 'Predict the next price of a symbol from its recent prices',
        body: predictRequestSchema,
        response: { 200: predictionSchema },
      },
      onRequest: injectFaults,
      onResponse: async (_request, reply) => {
        if (reply.statusCode >= 500) metrics.predictionErrors.inc({ kind: 'server_error' });
        else if (reply.statusCode >= 400) metrics.predictionErrors.inc({ kind: 'invalid_input' });
      },
    },
    async (request) => {
      const { symbol, prices, horizon } = request.body;
      const prediction = predictPrice(prices, horizon, {
        window: config.PREDICTION_WINDOW,
        flatThreshold: config.PREDICTION_FLAT_THRESHOLD,
      });
      const record: PredictionRecord = {
        symbol,
        predicted_price: roundPrice(prediction.predictedPrice),
        direction: prediction.direction,
        confidence: prediction.confidence,
        model: MODEL_NAME,
        horizon,
        generated_at: new Date().toISOString(),
      };
      recent.add(record);
      metrics.predictions.inc({ direction: record.direction });
      return record;
    },
  );

  app.get(
    '/predictions/recent',
    {
      schema: {
        tags: ['predictions'],
        summary: 'The latest predictions, newest first (kept in memory)',
        querystring: recentPredictionsQuerySchema,
        response: { 200: recentPredictionsResponseSchema },
      },
      onRequest: injectFaults,
    },
    async (request) => {
      const predictions = recent.latest(request.query.limit);
      return { predictions, count: predictions.length, capacity: recent.capacity };
    },
  );
}
