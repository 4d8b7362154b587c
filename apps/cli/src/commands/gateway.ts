import { readFileSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { GatewayClient, UpstreamRefusedError, UpstreamUnreachableError } from '@atb/clients';
import type { AuditVerificationContract, ErrorBodyContract, ExecuteCommandResponse } from '@atb/contracts';
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

/** The one gateway client, as `atb-cli`, with the token; one attempt (the CLI sends no idempotency key). */
function gatewayClient(config: GatewayConfig, timeoutMs: number): GatewayClient {
  return new GatewayClient({ baseUrl: config.AI_COMMAND_GATEWAY_URL, sourceId: CLI_SOURCE_ID, token: readGatewayToken(config), timeoutMs, attempts: 1 });
}

const notRunning = (config: GatewayConfig, reason: string) =>
  new Error(`the command gateway at ${config.AI_COMMAND_GATEWAY_URL.replace(/\/+$/, '')} does not answer (${reason}); is it running (atb up)?`);

/**
 * Sends one intent to `POST /execute-docker-command` as `atb-cli`. A refusal (4xx, 5xx) is an
 * answer with its status and message; an unreachable gateway or an answer outside the contract
 * throws, naming what went wrong.
 */
export async function gatewayExec(
  config: GatewayConfig,
  target: string,
  intent: string,
  options: { dryRun?: boolean; timeoutMs?: number } = {},
): Promise<GatewayAnswer<ExecuteCommandResponse | ErrorBodyContract>> {
  const result = await gatewayClient(config, options.timeoutMs ?? 120_000).execute({
    target,
    intent,
    context: 'requested from the atb CLI',
    priority: 'MEDIUM',
    dryRun: options.dryRun ?? false,
  });
  if (result.ok) return { status: 200, body: result.response };
  if (result.code === 'upstream_unreachable') throw notRunning(config, result.error.replace(/^gateway unreachable: /, ''));
  if (result.code === 'contract_violation' || result.status === undefined) throw new Error(result.error);
  return { status: result.status, body: { error: result.code, message: result.error, ...(result.field ? { field: result.field } : {}) } };
}

/** Asks the gateway to walk its audit chain (`GET /audit/verify`); a refusal is an answer with its status. */
export async function gatewayAuditVerify(config: GatewayConfig, timeoutMs = 60_000): Promise<GatewayAnswer<AuditVerificationContract | ErrorBodyContract>> {
  try {
    return { status: 200, body: await gatewayClient(config, timeoutMs).verifyAudit(timeoutMs) };
  } catch (error) {
    if (error instanceof UpstreamRefusedError) return { status: error.status, body: { error: error.code, message: error.body.message ?? error.message } };
    if (error instanceof UpstreamUnreachableError) throw notRunning(config, error.message);
    throw error;
  }
}

/** Human-readable lines for one gateway answer: plan, command, status, result. */
export function formatGatewayAnswer(answer: GatewayAnswer<ExecuteCommandResponse | ErrorBodyContract>): string {
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
      else if (!('valid' in body)) process.stdout.write(`${pc.red(`gateway answered ${answer.status}`)}: ${body.message}\n`);
      else if (body.valid) process.stdout.write(`${pc.green('audit chain intact')}: ${body.count} records, head ${body.head}\n`);
      else process.stdout.write(`${pc.red('audit chain BROKEN')} at record ${body.broken_at}: ${body.reason}\n`);
      process.exitCode = 'valid' in body && body.valid ? 0 : 1;
    });
}
