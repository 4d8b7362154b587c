import { baseConfigShape, type Environment, loadConfig } from '@atb/service-kit';
import { z } from 'zod';

/** Settings of the command-gateway; each field documents its default. */
export const configSchema = z.object({
  ...baseConfigShape({ port: 8003, dataDirectory: '.data/command-gateway' }),
});

export type Config = z.output<typeof configSchema>;

export function readConfig(environment?: Environment): Config {
  return loadConfig(configSchema, environment);
}
