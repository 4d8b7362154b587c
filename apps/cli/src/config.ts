import { type Environment, loadConfig, url } from '@atb/service-kit';
import { z } from 'zod';

/** Where `atb` finds each service; defaults are the local stack's ports (SPEC §2). */
export const cliConfigSchema = z.object({
  MARKET_PREDICTOR_URL: url('http://127.0.0.1:8000'),
  DEVOPS_AGENT_URL: url('http://127.0.0.1:8001'),
  CODING_AGENT_URL: url('http://127.0.0.1:8002'),
  AI_COMMAND_GATEWAY_URL: url('http://127.0.0.1:8003'),
  /** Bearer token for the command gateway; default: read from AI_COMMAND_GATEWAY_TOKEN_FILE. */
  AI_COMMAND_GATEWAY_TOKEN: z.string().min(1).optional(),
  /** The token file the gateway generates in development (relative: to the working directory, then the repository root). */
  AI_COMMAND_GATEWAY_TOKEN_FILE: z.string().min(1).default('.data/command-gateway/api-token'),
  /** The container engine `atb up` uses (unix:///…, tcp://…); default: the first of /var/run/docker.sock, /run/podman/podman.sock that answers. */
  DOCKER_HOST: z.string().min(1).optional(),
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
