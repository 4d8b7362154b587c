import { readFileSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import type { ExecuteCommandRequest, ExecuteCommandResponse } from '@atb/contracts';
import type { Command } from 'commander';
import pc from 'picocolors';
import type { CliConfig } from '../config.js';
import { repositoryRoot } from '../paths.js';

/** The `source_id` the CLI sends; the default gateway policy grants it every operation. */
export const CLI_SOURCE_ID = 'atb-cli';

type GatewayConfig = Pick<CliConfig, 'AI_COMMAND_GATEWAY_URL' | 'AI_COMMAND_GATEWAY_TOKEN' | 'AI_COMMAND_GATEWAY_TOKEN_FILE'>;

/**
 * The gateway's bearer token: AI_COMMAND_GATEWAY_TOKEN, else the file the gateway generated
 * (AI_COMMAND_GATEWAY_TOKEN_FILE; a relative path is tried in the working directory, then in
 * the repository root, where `atb up` runs the gateway). Throws a message naming both.
 */
export function readGatewayToken(config: GatewayConfig, directories: string[] = [process.cwd(), repositoryRoot()]): string {
  if (config.AI_COMMAND_GATEWAY_TOKEN) return config.AI_COMMAND_GATEWAY_TOKEN;
  const file = config.AI_COMMAND_GATEWAY_TOKEN_FILE;
  const candidates = isAbsolute(file) ? [file] : directories.map((directory) => resolve(directory, file));
  for (const candidate of candidates) {
    try {
      const token = readFileSync(candidate, 'utf8').trim();
      if (token) return token;
    } catch {
      // try the next place
    }
  }
  throw new Error(
    `no gateway token: set AI_COMMAND_GATEWAY_TOKEN, or start the gateway once (atb up) so that it writes ${candidates.join(' or ')} (AI_COMMAND_GATEWAY_TOKEN_FILE)`,
  );
}

export interface GatewayAnswer<Body> {
  status: number;
  body: Body;
}

async function callGateway<Body>(
  config: GatewayConfig,
  path: string,
  init: { method: 'GET' | 'POST'; body?: unknown },
  timeoutMs: number,
): Promise<GatewayAnswer<Body>> {
  const token = readGatewayToken(config);
  const base = config.AI_COMMAND_GATEWAY_URL.replace(/\/+$/, '');
  let response: Response;
  try {
    response = await fetch(`${base}${path}`, {
      method: init.method,
      headers: { authorization: `Bearer ${token}`, ...(init.body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (error) {
    const reason = error instanceof Error ? ((error.cause as Error | undefined)?.message ?? error.message) : String(error);
    throw new Error(`the command gateway at ${base} does not answer (${reason}); is it running (atb up)?`);
  }
  const text = await response.text();
  let body: Body;
  try {
    body = JSON.parse(text) as Body;
  } catch {
    throw new Error(`the command gateway answered ${response.status} with a non-JSON body: ${text.slice(0, 200)}`);
  }
  return { status: response.status, body };
}

/** Sends one intent to `POST /execute-docker-command` as `atb-cli`. */
export function gatewayExec(
  config: GatewayConfig,
  target: string,
  intent: string,
  options: { dryRun?: boolean; timeoutMs?: number } = {},
): Promise<GatewayAnswer<ExecuteCommandResponse | Record<string, unknown>>> {
  const request: ExecuteCommandRequest = {
    source_id: CLI_SOURCE_ID,
    target_resource: { name: target },
    action_request: { intent, context: 'requested from the atb CLI', priority: 'MEDIUM' },
    dry_run: options.dryRun ?? false,
  };
  return callGateway(config, '/execute-docker-command', { method: 'POST', body: request }, options.timeoutMs ?? 120_000);
}

/** Asks the gateway to walk its audit chain (`GET /audit/verify`). */
export function gatewayAuditVerify(config: GatewayConfig, timeoutMs = 60_000): Promise<GatewayAnswer<Record<string, unknown>>> {
  return callGateway(config, '/audit/verify', { method: 'GET' }, timeoutMs);
}

/** Human-readable lines for one gateway answer: plan, command, status, result. */
export function formatGatewayAnswer(answer: GatewayAnswer<ExecuteCommandResponse | Record<string, unknown>>): string {
  const body = answer.body as Partial<ExecuteCommandResponse> & { error?: string; message?: string; field?: string };
  if (answer.status !== 200 || !body.overall_status) {
    return `${pc.red(`gateway answered ${answer.status}`)}: ${body.message ?? JSON.stringify(body)}${body.field ? pc.dim(` (field ${body.field})`) : ''}`;
  }
  const lines: string[] = [];
  if (body.plan) {
    const params = Object.entries(body.plan.params ?? {})
      .map(([key, value]) => `${key}=${value}`)
      .join(' ');
    lines.push(`${pc.dim('plan')}     ${body.plan.operation} ${body.plan.target}${params ? ` ${pc.dim(params)}` : ''}`);
  }
  const details = body.execution_details;
  if (details?.command) lines.push(`${pc.dim('command')}  ${details.command}${body.dry_run ? pc.dim('  (dry run: not executed)') : ''}`);
  const paint = body.overall_status === 'success' ? pc.green : body.overall_status === 'rejected' ? pc.yellow : pc.red;
  lines.push(`${pc.dim('status')}   ${paint(body.overall_status)}${details ? pc.dim(`  ${details.execution_time_ms} ms  request ${body.request_id}`) : ''}`);
  if (body.reason) lines.push(`${pc.dim('reason')}   ${body.reason}`);
  if (body.accepted_examples?.length) lines.push(`${pc.dim('try')}      ${body.accepted_examples.map((example) => `"${example}"`).join(', ')}`);
  if (!body.reason && details) {
    const result = details.execution_result;
    lines.push(typeof result === 'string' ? result : JSON.stringify(result, null, 2));
  }
  return lines.join('\n');
}

/** Exit status for an answer: 0 success, 2 rejected, 1 anything else. */
export function exitCodeFor(answer: GatewayAnswer<unknown>): number {
  const status = (answer.body as { overall_status?: string }).overall_status;
  if (answer.status === 200 && status === 'success') return 0;
  if (answer.status === 200 && status === 'rejected') return 2;
  return 1;
}

/** `atb gateway exec <target> "<intent>"` and `atb gateway audit verify`. */
export function registerGateway(program: Command, config: () => CliConfig): void {
  const gateway = program.command('gateway').description('talk to the command gateway (intent → one allowlisted Docker operation)');
  gateway
    .command('exec')
    .description('send an intent for one target, print the plan and the result')
    .argument('<target>', 'container name, e.g. market-predictor')
    .argument('<intent>', 'e.g. "restart the service", "show the last 200 log lines"')
    .option('--dry-run', 'validate and print the plan without executing it')
    .option('--json', 'print the gateway response as JSON')
    .action(async (target: string, intent: string, options: { dryRun?: boolean; json?: boolean }) => {
      const answer = await gatewayExec(config(), target, intent, { dryRun: options.dryRun ?? false });
      process.stdout.write(`${options.json ? JSON.stringify(answer.body, null, 2) : formatGatewayAnswer(answer)}\n`);
      process.exitCode = exitCodeFor(answer);
    });
  gateway
    .command('audit')
    .description("the gateway's audit log")
    .command('verify')
    .description('verify the hash chain of the audit log')
    .option('--json', 'print the verification as JSON')
    .action(async (options: { json?: boolean }) => {
      const answer = await gatewayAuditVerify(config());
      const body = answer.body;
      if (options.json) process.stdout.write(`${JSON.stringify(body, null, 2)}\n`);
      else if (answer.status !== 200) process.stdout.write(`${pc.red(`gateway answered ${answer.status}`)}: ${String(body.message ?? '')}\n`);
      else if (body.valid === true) process.stdout.write(`${pc.green('audit chain intact')}: ${String(body.count)} records, head ${String(body.head)}\n`);
      else process.stdout.write(`${pc.red('audit chain BROKEN')} at record ${String(body.broken_at)}: ${String(body.reason)}\n`);
      process.exitCode = answer.status === 200 && body.valid === true ? 0 : 1;
    });
}
