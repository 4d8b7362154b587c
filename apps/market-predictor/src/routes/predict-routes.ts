import { setTimeout as sleep } from 'node:timers/promises';
import { type App, SystemError } from '@atb/service-kit';
import { z } from 'zod';
import type { FaultInjector } from '../chaos/fault-injector.js';
import type { Config } from '../config.js';
import { MODEL_NAME, predictPrice } from '../prediction/predict.js';
import type { PredictorMetrics } from '../predictor-metrics.js';
import type { RecentPredictions } from '../predictions/recent-predictions.js';

/** Ticker symbols: 1–20 of A–Z, 0–9, `.`, `-`, `/`, starting with a letter or digit (AAPL, BRK.B, BTC-USD, EUR/USD). */
export const SYMBOL_PATTERN = /^[A-Z0-9][A-Z0-9.\-/]{0,19}$/;
export const MIN_PRICES = 2;
export const MAX_PRICES = 10_000;
export const MAX_HORIZON = 1000;
/** Largest price accepted: far above any quote, far below where squared deviations overflow. */
export const MAX_PRICE = 1e12;

export const predictRequestSchema = z.object({
  symbol: z
    .string({ error: 'expected a ticker symbol string' })
    .regex(
      SYMBOL_PATTERN,
      'expected 1–20 characters of A–Z, 0–9, ".", "-", "/" starting with a letter or digit (e.g. AAPL, BTC-USD)',
    ),
  prices: z
    .array(z.number({ error: 'expected a finite number' }), { error: 'expected an array of numbers' })
    .min(MIN_PRICES, `expected at least ${MIN_PRICES} prices`)
    .max(MAX_PRICES, `expected at most ${MAX_PRICES} prices`)
    // One loop over the array instead of a zod check per element: a third of the cost of
    // validating a 250-price body (bench/predictor).
    .superRefine((prices, context) => {
      for (let index = 0; index < prices.length; index += 1) {
        const price = prices[index] as number;
        if (!(price > 0)) context.addIssue({ code: 'custom', path: [index], message: 'expected a positive price' });
        else if (price > MAX_PRICE) {
          context.addIssue({ code: 'custom', path: [index], message: `expected a price of at most ${MAX_PRICE}` });
        }
      }
    })
    .describe('Prices (0 < price ≤ 1e12), oldest first, equally spaced in time.'),
  horizon: z
    .number({ error: 'expected a whole number of steps' })
    .int('expected a whole number of steps')
    .min(1, 'expected at least 1 step')
    .max(MAX_HORIZON, `expected at most ${MAX_HORIZON} steps`)
    .default(1)
    .describe('How many steps (the spacing of `prices`) ahead to predict; default 1.'),
});

export const predictionSchema = z.object({
  symbol: z.string(),
  predicted_price: z.number(),
  direction: z.enum(['up', 'down', 'flat']),
  confidence: z.number().min(0).max(1),
  model: z.string(),
  horizon: z.number().int(),
  generated_at: z.string(),
});

export type PredictionRecord = z.output<typeof predictionSchema>;

export const recentQuerySchema = z.object({
  limit: z.coerce
    .number({ error: 'expected a whole number' })
    .int('expected a whole number')
    .min(1, 'expected at least 1')
    .max(10_000, 'expected at most 10000')
    .default(20),
});

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
        querystring: recentQuerySchema,
        response: {
          200: z.object({ predictions: z.array(predictionSchema), count: z.number().int(), capacity: z.number().int() }),
        },
      },
      onRequest: injectFaults,
    },
    async (request) => {
      const predictions = recent.latest(request.query.limit);
      return { predictions, count: predictions.length, capacity: recent.capacity };
    },
  );
}
