import { baseConfigShape, boolean, decimal, type Environment, integer, loadConfig } from '@atb/service-kit';
import { z } from 'zod';

/** Settings of the market-predictor; each field documents its default. */
export const configSchema = z.object({
  ...baseConfigShape({ port: 8000, dataDirectory: '.data/market-predictor' }),
  /** Registers the `/chaos/*` fault-injection routes for drills; default false (the routes do not exist). */
  CHAOS_ENABLED: boolean(false),
  /** Upper bound of `max_mb` accepted by `POST /chaos/memory-leak`; default 512 (MiB). */
  CHAOS_MAX_LEAK_MB: integer(512, 1, 16_384),
  /** Prices the least-squares trend is fitted to (the most recent ones); default 50. */
  PREDICTION_WINDOW: integer(50, 2, 10_000),
  /** Relative move below which a prediction is `flat`; default 0.001 (0.1 %). */
  PREDICTION_FLAT_THRESHOLD: decimal(0.001, 0, 1),
  /** Predictions kept in memory for `GET /predictions/recent`; default 100. */
  PREDICTION_HISTORY_SIZE: integer(100, 1, 10_000),
  /** Largest request body in bytes (413 above it); default 524288 (512 KiB, room for 10,000 prices). */
  MAX_BODY_BYTES: integer(524_288, 1024, 16 * 1024 * 1024),
});

export type Config = z.output<typeof configSchema>;

/** Reads and validates the environment once; a bad value throws a ConfigError naming the variable. */
export function readConfig(environment?: Environment): Config {
  return loadConfig(configSchema, environment);
}
