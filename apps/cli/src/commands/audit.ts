import type { Command } from 'commander';
import pc from 'picocolors';
import type { CliConfig } from '../config.js';
import { readGatewayToken } from './gateway.js';
import { AgentCallError, agentRequest, withAgent } from './incidents.js';

/** What a service's `GET /audit/verify` answers (see `AuditVerification` in @atb/storage). */
export interface VerifyAnswer {
  valid?: boolean;
  count?: number;
  head?: string;
  keyed?: boolean;
  legacy_unkeyed?: number;
  anchored_seq?: number;
  broken_at?: number;
  reason?: string;
}

/**
 * One line per service: `valid` with the count, the head and how it is protected (keyed,
 * legacy unkeyed records, anchored head), or `BROKEN` with the first broken record and why —
 * an edited record recomputed without the key, a cut-off tail, a missing anchor file.
 */
export function describeVerification(service: string, answer: VerifyAnswer, status: number): string {
  if (answer.valid) {
    const notes = [
      answer.keyed ? 'HMAC-keyed' : 'unkeyed (no audit key)',
      answer.legacy_unkeyed ? `${answer.legacy_unkeyed} legacy unkeyed records at the start` : '',
      answer.anchored_seq !== undefined ? `anchored head ${answer.anchored_seq}` : 'no anchor file',
    ].filter(Boolean);
    return `${service}: ${pc.green('valid')}: ${answer.count} records, head ${answer.head} (${notes.join(', ')})`;
  }
  return `${service}: ${pc.red('BROKEN')} at record ${answer.broken_at}: ${answer.reason ?? `HTTP ${status}`}`;
}

async function gatewayVerify(config: CliConfig): Promise<{ status: number; body: VerifyAnswer }> {
  const response = await fetch(new URL('/audit/verify', config.AI_COMMAND_GATEWAY_URL), {
    headers: { authorization: `Bearer ${readGatewayToken(config)}` },
    signal: AbortSignal.timeout(60_000),
  });
  return { status: response.status, body: (await response.json().catch(() => ({}))) as VerifyAnswer };
}

/** `atb audit verify`: checks the hash-chained audit logs of the devops agent and the gateway (exit 1 when one is broken). */
export function registerAudit(program: Command, config: () => CliConfig): void {
  const audit = program.command('audit').description("the services' audit logs");
  audit
    .command('verify')
    .description('verify the keyed hash chain and the anchored head of the devops agent and gateway audit logs')
    .option('--service <service>', 'devops-agent, command-gateway or all', 'all')
    .option('--json', 'machine-readable output')
    .action((options: { service: string; json?: boolean }) =>
      withAgent(async () => {
        const results: Record<string, { status: number; body: VerifyAnswer }> = {};
        if (options.service === 'all' || options.service === 'devops-agent') {
          results['devops-agent'] = await agentRequest(config(), '/audit/verify');
        }
        if (options.service === 'all' || options.service === 'command-gateway') {
          try {
            results['command-gateway'] = await gatewayVerify(config());
          } catch (error) {
            results['command-gateway'] = { status: 0, body: { valid: false, reason: error instanceof Error ? error.message : String(error) } };
          }
        }
        if (Object.keys(results).length === 0) throw new AgentCallError(`--service: expected devops-agent, command-gateway or all, found ${options.service}`);
        if (options.json) {
          process.stdout.write(`${JSON.stringify(Object.fromEntries(Object.entries(results).map(([name, result]) => [name, result.body])), null, 2)}\n`);
        } else {
          for (const [name, result] of Object.entries(results)) process.stdout.write(`${describeVerification(name, result.body, result.status)}\n`);
        }
        if (Object.values(results).some((result) => !result.body.valid)) process.exitCode = 1;
      }),
    );
  audit
    .command('list')
    .description('print audit records (oldest first)')
    .option('--subject <subject>', 'only this subject (an incident id, a target)')
    .option('--action <action>', 'only this action, e.g. action-approved')
    .option('--limit <n>', 'how many', '50')
    .action((options: { subject?: string; action?: string; limit: string }) =>
      withAgent(async () => {
        const query = new URLSearchParams({ limit: options.limit });
        if (options.subject) query.set('subject', options.subject);
        if (options.action) query.set('action', options.action);
        const answer = await agentRequest(config(), `/audit?${query}`);
        for (const record of (answer.body.records ?? []) as { seq: number; timestamp: string; actor: string; action: string; subject: string }[]) {
          process.stdout.write(`${String(record.seq).padStart(6)} ${pc.dim(record.timestamp)} ${record.actor.padEnd(14)} ${record.action.padEnd(20)} ${record.subject}\n`);
        }
        if (answer.status !== 200) process.exitCode = 1;
      }),
    );
}
