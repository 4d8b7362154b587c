import { readFileSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { ContractViolationError, DevopsAgentClient, UpstreamRefusedError, UpstreamUnreachableError } from '@atb/clients';
import pc from 'picocolors';
import type { CliConfig } from '../config.js';
import { repositoryRoot } from '../paths.js';

type AgentTokenConfig = Pick<CliConfig, 'DEVOPS_AGENT_TOKEN' | 'DEVOPS_AGENT_TOKEN_FILE'>;

/**
 * The devops agent's bearer token: DEVOPS_AGENT_TOKEN, else the file the agent generated
 * (DEVOPS_AGENT_TOKEN_FILE; a relative path is tried in the working directory, then in the
 * repository root, where `atb up` runs the agent). `undefined` when there is none.
 */
export function readAgentToken(config: AgentTokenConfig, directories: string[] = [process.cwd(), repositoryRoot()]): string | undefined {
  if (config.DEVOPS_AGENT_TOKEN) return config.DEVOPS_AGENT_TOKEN;
  const file = config.DEVOPS_AGENT_TOKEN_FILE;
  for (const candidate of isAbsolute(file) ? [file] : directories.map((directory) => resolve(directory, file))) {
    try {
      const token = readFileSync(candidate, 'utf8').trim();
      if (token) return token;
    } catch {
      // try the next place
    }
  }
  return undefined;
}

/** A call to the agent that could not be made (no token); `withAgent` prints it. */
export class AgentCallError extends Error {}

/**
 * The devops agent's client with its token when one is known. `needsToken` (approvals and
 * the monitoring controls) fails first, naming the settings, when there is none.
 */
export function agentClient(config: CliConfig, options: { needsToken?: boolean } = {}): DevopsAgentClient {
  const token = readAgentToken(config);
  if (!token && options.needsToken) {
    throw new AgentCallError(
      `no devops agent token: set DEVOPS_AGENT_TOKEN (the agent's AGENT_API_TOKEN), or start the agent once (atb up) so that it writes ${config.DEVOPS_AGENT_TOKEN_FILE} (DEVOPS_AGENT_TOKEN_FILE)`,
    );
  }
  return new DevopsAgentClient({ baseUrl: config.DEVOPS_AGENT_URL, token, timeoutMs: 10_000 });
}

/**
 * Runs a command body; a missing token, an unreachable agent, a refusal (with the field and,
 * for 401, which settings to check) and an answer outside the contract become one line on
 * stderr and exit code 1.
 */
export async function withAgent(run: () => Promise<void>): Promise<void> {
  try {
    await run();
  } catch (error) {
    if (error instanceof UpstreamUnreachableError) {
      process.stderr.write(`${pc.red('error')} the devops agent is unreachable: ${error.message}\n`);
    } else if (error instanceof UpstreamRefusedError) {
      process.stderr.write(`${pc.red('error')} ${error.body.message ?? error.message}${error.body.field ? pc.dim(` (${error.body.field})`) : ''}\n`);
      if (error.status === 401) {
        process.stderr.write(pc.dim("the agent refused the token: check DEVOPS_AGENT_TOKEN or DEVOPS_AGENT_TOKEN_FILE (the agent's AGENT_API_TOKEN or <DATA_DIR>/api-token)\n"));
      }
    } else if (error instanceof ContractViolationError || error instanceof AgentCallError) {
      process.stderr.write(`${pc.red('error')} ${error.message}\n`);
    } else {
      throw error;
    }
    process.exitCode = 1;
  }
}
