import { baseConfigShape, type Environment, loadConfig } from '@atb/service-kit';
import { z } from 'zod';

/** Settings of the market-predictor; each field documents its default. */
export const configSchema = z.object({
  ...baseConfigShape({ port: 8000, dataDirectory: '.data/market-predictor' }),
});

export type Config = z.output<typeof configSchema>;

export function readConfig(environment?: Environment): Config {
  return loadConfig(configSchema, environment);
}
