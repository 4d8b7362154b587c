import { readFileSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import type { Command } from 'commander';
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

/**
 * Calls the devops agent's API with its bearer token when one is known (required by approve,
 * reject and the monitoring controls); a non-2xx answer or an unreachable agent exits non-zero
 * with the message.
 */
export async function agentRequest(
  config: CliConfig,
  path: string,
  options: { method?: string; body?: unknown } = {},
): Promise<{ status: number; body: Record<string, unknown> }> {
  const method = options.method ?? 'GET';
  const token = readAgentToken(config);
  if (!token && method !== 'GET') {
    throw new AgentCallError(
      `no devops agent token: set DEVOPS_AGENT_TOKEN (the agent's AGENT_API_TOKEN), or start the agent once (atb up) so that it writes ${config.DEVOPS_AGENT_TOKEN_FILE} (DEVOPS_AGENT_TOKEN_FILE)`,
    );
  }
  const headers: Record<string, string> = {};
  if (token) headers.authorization = `Bearer ${token}`;
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  let response: Response;
  try {
    response = await fetch(new URL(path, config.DEVOPS_AGENT_URL), {
      method,
      headers,
      ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
      signal: AbortSignal.timeout(10_000),
    });
  } catch (error) {
    const reason = error instanceof Error ? ((error.cause as Error | undefined)?.message ?? error.message) : String(error);
    throw new AgentUnreachableError(`devops agent at ${config.DEVOPS_AGENT_URL} is unreachable: ${reason}`);
  }
  const body = (await response.json().catch(() => ({}))) as Record<string, unknown>;
  return { status: response.status, body };
}

/** A call to the agent that could not be made (no token, unreachable); `withAgent` prints it. */
export class AgentCallError extends Error {}

export class AgentUnreachableError extends AgentCallError {}

/** Prints an error answer (`{ error, message, field }`) and sets a failing exit code. */
export function reportFailure(answer: { status: number; body: Record<string, unknown> }): void {
  const message = typeof answer.body.message === 'string' ? answer.body.message : `HTTP ${answer.status}`;
  process.stderr.write(`${pc.red('error')} ${message}${answer.body.field ? pc.dim(` (${String(answer.body.field)})`) : ''}\n`);
  if (answer.status === 401) {
    process.stderr.write(pc.dim('the agent refused the token: check DEVOPS_AGENT_TOKEN or DEVOPS_AGENT_TOKEN_FILE (the agent\'s AGENT_API_TOKEN or <DATA_DIR>/api-token)\n'));
  }
  process.exitCode = 1;
}

/** Runs a command body, turning an unreachable agent into a clear message and exit code 1. */
export async function withAgent(run: () => Promise<void>): Promise<void> {
  try {
    await run();
  } catch (error) {
    if (!(error instanceof AgentCallError)) throw error;
    process.stderr.write(`${pc.red('error')} ${error.message}\n`);
    process.exitCode = 1;
  }
}

const STATE_COLOURS: Record<string, (text: string) => string> = {
  resolved: pc.green,
  escalated: pc.red,
  failed: pc.red,
  awaiting_approval: pc.yellow,
};

interface IncidentRow {
  id: string;
  state: string;
  alertname: string;
  service: string;
  severity: string;
  flap_count: number;
  opened_at: string;
  title: string;
}

/** `atb incidents [--state] [--service] [--limit] [--json]` and `atb incident <id>`. */
export function registerIncidents(program: Command, config: () => CliConfig): void {
  program
    .command('incidents')
    .description("list the devops agent's incidents, newest first")
    .option('--state <state>', 'only this state (open, investigating, awaiting_approval, remediating, verifying, resolved, escalated, failed)')
    .option('--service <service>', 'only this service')
    .option('--limit <n>', 'how many', '20')
    .option('--json', 'machine-readable output')
    .action((options: { state?: string; service?: string; limit: string; json?: boolean }) =>
      withAgent(async () => {
        const query = new URLSearchParams({ limit: options.limit });
        if (options.state) query.set('state', options.state);
        if (options.service) query.set('service', options.service);
        const answer = await agentRequest(config(), `/incidents?${query}`);
        if (answer.status !== 200) return reportFailure(answer);
        const incidents = answer.body.incidents as IncidentRow[];
        if (options.json) {
          process.stdout.write(`${JSON.stringify(incidents, null, 2)}\n`);
          return;
        }
        if (incidents.length === 0) process.stdout.write(pc.dim('no incidents\n'));
        for (const incident of incidents) {
          const paint = STATE_COLOURS[incident.state] ?? pc.cyan;
          process.stdout.write(
            `${incident.id}  ${paint(incident.state.padEnd(17))} ${incident.alertname.padEnd(28)} ${incident.service.padEnd(18)} ${incident.severity.padEnd(8)} ${pc.dim(incident.opened_at)}${incident.flap_count > 0 ? pc.yellow(` flapped ${incident.flap_count}×`) : ''}\n`,
          );
        }
      }),
    );

  program
    .command('incident <id>')
    .description('show one incident: analysis, actions and timeline')
    .option('--json', 'machine-readable output')
    .action((id: string, options: { json?: boolean }) =>
      withAgent(async () => {
        const answer = await agentRequest(config(), `/incidents/${encodeURIComponent(id)}`);
        if (answer.status !== 200) return reportFailure(answer);
        if (options.json) {
          process.stdout.write(`${JSON.stringify(answer.body, null, 2)}\n`);
          return;
        }
        const incident = answer.body as unknown as IncidentRow & {
          analysis: { analysis: { issue_type: string; root_cause: string; confidence: number } } | null;
          timeline: { at: string; type: string; data: Record<string, unknown> }[];
          actions: { id: string; operation: string; status: string; effective: boolean | null }[];
        };
        process.stdout.write(`${pc.bold(incident.title)}\n${incident.id}  ${incident.state}  ${incident.alertname} on ${incident.service}\n`);
        if (incident.analysis) {
          const analysis = incident.analysis.analysis;
          process.stdout.write(`analysis: ${analysis.issue_type} (confidence ${analysis.confidence})\n  ${analysis.root_cause}\n`);
        }
        for (const action of incident.actions) {
          process.stdout.write(`action ${action.id}: ${action.operation} ${action.status}${action.effective === null ? '' : action.effective ? ' effective' : ' ineffective'}\n`);
        }
        for (const event of incident.timeline) process.stdout.write(`${pc.dim(event.at)} ${event.type}\n`);
      }),
    );
}
