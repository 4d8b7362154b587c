import { z } from 'zod';

/**
 * The market predictor's API: `POST /predict`, `GET /predictions/recent`, and the
 * fault-injection routes drills use (`/chaos/*`, registered only with `CHAOS_ENABLED=true`).
 */

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
export type PredictRequest = z.input<typeof predictRequestSchema>;

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

export const recentPredictionsQuerySchema = z.object({
  limit: z.coerce
    .number({ error: 'expected a whole number' })
    .int('expected a whole number')
    .min(1, 'expected at least 1')
    .max(10_000, 'expected at most 10000')
    .default(20),
});

export const recentPredictionsResponseSchema = z.object({
  predictions: z.array(predictionSchema),
  count: z.number().int(),
  capacity: z.number().int(),
});
export type RecentPredictionsResponse = z.infer<typeof recentPredictionsResponseSchema>;

export const MAX_LATENCY_MS = 60_000;
export const MAX_LEAK_RATE_MB_PER_SECOND = 1024;
export const MAX_CRASH_DELAY_MS = 10_000;

const probability = (what: string) =>
  z
    .number({ error: `expected ${what} between 0 and 1` })
    .min(0, `expected ${what} between 0 and 1`)
    .max(1, `expected ${what} between 0 and 1`);

/** `POST /chaos/latency`. */
export const latencyRequestSchema = z.object({
  ms: z
    .number({ error: 'expected milliseconds' })
    .int('expected whole milliseconds')
    .min(0, 'expected at least 0 ms')
    .max(MAX_LATENCY_MS, `expected at most ${MAX_LATENCY_MS} ms`),
  probability: probability('a probability').default(1),
});

/** `POST /chaos/errors`. */
export const errorsRequestSchema = z.object({ rate: probability('a rate') });

/** `POST /chaos/memory-leak`; the cap is bounded by the predictor's `CHAOS_MAX_LEAK_MB`, so the schema is built from it. */
export const memoryLeakRequestSchema = (maxLeakMb: number) =>
  z.object({
    mb_per_second: z
      .number({ error: 'expected MiB per second' })
      .positive('expected more than 0 MiB per second')
      .max(MAX_LEAK_RATE_MB_PER_SECOND, `expected at most ${MAX_LEAK_RATE_MB_PER_SECOND} MiB per second`),
    max_mb: z
      .number({ error: 'expected MiB' })
      .positive('expected more than 0 MiB')
      .max(maxLeakMb, `expected at most ${maxLeakMb} MiB (CHAOS_MAX_LEAK_MB)`),
  });

/** `POST /chaos/crash` (the body is optional). */
export const crashRequestSchema = z
  .object({
    delay_ms: z
      .number({ error: 'expected milliseconds' })
      .int('expected whole milliseconds')
      .min(0, 'expected at least 0 ms')
      .max(MAX_CRASH_DELAY_MS, `expected at most ${MAX_CRASH_DELAY_MS} ms`)
      .default(100),
  })
  .nullish();

export const FAULT_NAMES = ['latency', 'errors', 'memory_leak', 'hang'] as const;

/** The active faults, as `/chaos/*` answers and `/status` shows them. */
export const faultReportSchema = z.object({
  active_faults: z.array(z.enum(FAULT_NAMES)),
  latency: z.object({ ms: z.number(), probability: z.number(), since: z.string() }).optional(),
  errors: z.object({ rate: z.number(), since: z.string() }).optional(),
  memory_leak: z.object({ mb_per_second: z.number(), max_mb: z.number(), leaked_bytes: z.number(), since: z.string() }).optional(),
  hang: z.object({ since: z.string(), held_requests: z.number().int() }).optional(),
});
export type FaultReportContract = z.infer<typeof faultReportSchema>;

/** `DELETE /chaos`: what was cleared, and what is left. */
export const chaosClearResponseSchema = faultReportSchema.extend({ cleared: z.array(z.enum(FAULT_NAMES)) });

/** `POST /chaos/hang` and `POST /chaos/crash` (202): the fault is accepted; the process stops answering or exits. */
export const chaosAcceptedResponseSchema = z.object({
  accepted: z.literal(true),
  fault: z.enum(['hang', 'crash']),
  message: z.string(),
  exit_code: z.number().int().optional(),
  delay_ms: z.number().int().optional(),
});
export type ChaosAcceptedResponse = z.infer<typeof chaosAcceptedResponseSchema>;
