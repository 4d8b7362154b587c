import { type Environment, loadConfig, url } from '@atb/service-kit';
import { z } from 'zod';

/** Where `atb` finds each service; defaults are the local stack's ports (SPEC §2). */
export const cliConfigSchema = z.object({
  MARKET_PREDICTOR_URL: url('http://127.0.0.1:8000'),
  DEVOPS_AGENT_URL: url('http://127.0.0.1:8001'),
  CODING_AGENT_URL: url('http://127.0.0.1:8002'),
  AI_COMMAND_GATEWAY_URL: url('http://127.0.0.1:8003'),
});

export type CliConfig = z.output<typeof cliConfigSchema>;

export function readCliConfig(environment?: Environment): CliConfig {
  return loadConfig(cliConfigSchema, environment);
}

/** The whole environment, handed to the services `atb up` starts. */
export function childEnvironment(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return { ...process.env, ...extra };
}

export function serviceUrls(config: CliConfig): Record<string, string> {
  return {
    'market-predictor': config.MARKET_PREDICTOR_URL,
    'devops-agent': config.DEVOPS_AGENT_URL,
    'coding-agent': config.CODING_AGENT_URL,
    'command-gateway': config.AI_COMMAND_GATEWAY_URL,
  };
}
