import { baseConfigShape, type Environment, loadConfig } from '@atb/service-kit';
import { z } from 'zod';

/** Settings of the coding-agent; each field documents its default. */
export const configSchema = z.object({
  ...baseConfigShape({ port: 8002, dataDirectory: '.data/coding-agent' }),
});

export type Config = z.output<typeof configSchema>;

export function readConfig(environment?: Environment): Config {
  return loadConfig(configSchema, environment);
}
