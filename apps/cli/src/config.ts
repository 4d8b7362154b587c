import { type Environment, loadConfig, url } from '@atb/service-kit';
import { dockerHostSchema } from '@atb/container-engine';
import { z } from 'zod';

/** Where `atb` finds each service; defaults are the local stack's ports (8000–8003). */
export const cliConfigSchema = z.object({
  MARKET_PREDICTOR_URL: url('http://127.0.0.1:8000'),
  DEVOPS_AGENT_URL: url('http://127.0.0.1:8001'),
  CODING_AGENT_URL: url('http://127.0.0.1:8002'),
  AI_COMMAND_GATEWAY_URL: url('http://127.0.0.1:8003'),
  /** Bearer token for the command gateway; default: read from AI_COMMAND_GATEWAY_TOKEN_FILE. */
  AI_COMMAND_GATEWAY_TOKEN: z.string().min(1).optional(),
  /** The token file the gateway generates in development (relative: to the working directory, then the repository root); default `<ATB_DATA_DIR>/command-gateway/api-token`. */
  AI_COMMAND_GATEWAY_TOKEN_FILE: z.string().min(1).optional(),
  /** Bearer token of the devops agent's approvals and controls (its AGENT_API_TOKEN); default: read from DEVOPS_AGENT_TOKEN_FILE. */
  DEVOPS_AGENT_TOKEN: z.string().min(1).optional(),
  /** The token file the devops agent generates in development (relative: to the working directory, then the repository root); default `<ATB_DATA_DIR>/devops-agent/api-token`. */
  DEVOPS_AGENT_TOKEN_FILE: z.string().min(1).optional(),
  /** Bearer token of the coding agent (its CODING_AGENT_API_TOKEN); default: read from CODING_AGENT_TOKEN_FILE. */
  CODING_AGENT_TOKEN: z.string().min(1).optional(),
  /** The token file the coding agent generates in development (relative: to the working directory, then the repository root); default `<ATB_DATA_DIR>/coding-agent/api-token`. */
  CODING_AGENT_TOKEN_FILE: z.string().min(1).optional(),
  /** The container engine `atb up` uses (unix:///…, tcp://host:port, http(s)://host:port; validated); default: the first of `DEFAULT_DOCKER_HOSTS` that answers. */
  DOCKER_HOST: dockerHostSchema.optional(),
  /** Where `atb up` keeps every service's data (`<dir>/<service>`) and its control file; relative paths are under the repository root. */
  ATB_DATA_DIR: z.string().min(1).default('.data'),
});

export type CliConfig = z.output<typeof cliConfigSchema> & {
  AI_COMMAND_GATEWAY_TOKEN_FILE: string;
  DEVOPS_AGENT_TOKEN_FILE: string;
  CODING_AGENT_TOKEN_FILE: string;
};

export function readCliConfig(environment?: Environment): CliConfig {
  const config = loadConfig(cliConfigSchema, environment);
  return {
    ...config,
    AI_COMMAND_GATEWAY_TOKEN_FILE: config.AI_COMMAND_GATEWAY_TOKEN_FILE ?? `${config.ATB_DATA_DIR}/command-gateway/api-token`,
    DEVOPS_AGENT_TOKEN_FILE: config.DEVOPS_AGENT_TOKEN_FILE ?? `${config.ATB_DATA_DIR}/devops-agent/api-token`,
    CODING_AGENT_TOKEN_FILE: config.CODING_AGENT_TOKEN_FILE ?? `${config.ATB_DATA_DIR}/coding-agent/api-token`,
  };
}

/** The whole environment, handed to the services `atb up` starts. */
export function childEnvironment(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return { ...process.env, ...extra };
}

/**
 * The settings `atb up` hands one service so that the stack agrees with itself: each service
 * listens on the port of its URL, every service finds the others at those URLs, and each keeps
 * its data under `ATB_DATA_DIR`.
 */
export function stackEnvironment(service: string, config: CliConfig, dataDirectory: string): Record<string, string> {
  const urls = serviceUrls(config);
  const own = urls[service];
  const port = own ? new URL(own).port : '';
  return {
    MARKET_PREDICTOR_URL: config.MARKET_PREDICTOR_URL,
    DEVOPS_AGENT_URL: config.DEVOPS_AGENT_URL,
    CODING_AGENT_URL: config.CODING_AGENT_URL,
    AI_COMMAND_GATEWAY_URL: config.AI_COMMAND_GATEWAY_URL,
    // The devops agent's own machine tokens, which the gateway and the coding agent provision in development.
    AI_COMMAND_GATEWAY_TOKEN_FILE: `${dataDirectory}/command-gateway/devops-agent-token`,
    CODING_AGENT_TOKEN_FILE: `${dataDirectory}/coding-agent/devops-agent-token`,
    DATA_DIR: `${dataDirectory}/${service}`,
    ...(port ? { API_PORT: port } : {}),
  };
}

export function serviceUrls(config: CliConfig): Record<string, string> {
  return {
    'market-predictor': config.MARKET_PREDICTOR_URL,
    'devops-agent': config.DEVOPS_AGENT_URL,
    'coding-agent': config.CODING_AGENT_URL,
    'command-gateway': config.AI_COMMAND_GATEWAY_URL,
  };
}
