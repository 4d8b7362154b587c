import type { Command } from 'commander';
import pc from 'picocolors';
import type { CliConfig } from '../config.js';
import type { AuditVerificationContract } from '@atb/contracts';
import { AgentCallError, agentClient, withAgent } from './agent-client.js';
import { gatewayAuditVerify } from './gateway.js';
import { codingAgentClient } from './task.js';

type VerifyAnswer = Partial<AuditVerificationContract> & { broken_at?: number; reason?: string; message?: string };

/**
 * One line per service: `valid` with the count, the head and how it is protected (keyed,
 * legacy unkeyed records, anchored head), or `BROKEN` with the first broken record and why —
 * an edited record recomputed without the key, a cut-off tail, a missing anchor file.
 */
export function describeVerification(service: string, answer: VerifyAnswer, status: number): string {
  if (answer.valid === true) {
    const notes = [
      answer.keyed ? 'HMAC-keyed' : 'unkeyed (no audit key)',
      answer.legacy_unkeyed ? `${answer.legacy_unkeyed} legacy unkeyed records at the start` : '',
      answer.anchored_seq !== undefined ? `anchored head ${answer.anchored_seq}` : 'no anchor file',
    ].filter(Boolean);
    return `${service}: ${pc.green('valid')}: ${answer.count} records, head ${answer.head} (${notes.join(', ')})`;
  }
  return `${service}: ${pc.red('BROKEN')} at record ${answer.broken_at}: ${answer.reason ?? answer.message ?? `HTTP ${status}`}`;
}

/** The services that keep an audit chain; `--service all` verifies every one. */
const AUDITED_SERVICES = ['devops-agent', 'command-gateway', 'coding-agent'] as const;

async function verifyService(service: string, config: CliConfig): Promise<{ status: number; body: VerifyAnswer }> {
  try {
    if (service === 'devops-agent') return { status: 200, body: await agentClient(config).verifyAudit() };
    if (service === 'coding-agent') return { status: 200, body: await codingAgentClient(config).verifyAudit() };
    return await gatewayAuditVerify(config);
  } catch (error) {
    return { status: 0, body: { valid: false, reason: error instanceof Error ? error.message : String(error) } };
  }
}

/** `atb audit verify`: checks the hash-chained audit logs of the devops agent, the gateway and the coding agent (exit 1 when one is broken). */
export function registerAudit(program: Command, config: () => CliConfig): void {
  const audit = program.command('audit').description("the services' audit logs");
  audit
    .command('verify')
    .description('verify the keyed hash chain and the anchored head of the devops agent, gateway and coding agent audit logs')
    .option('--service <service>', 'devops-agent, command-gateway, coding-agent or all', 'all')
    .option('--json', 'machine-readable output')
    .action((options: { service: string; json?: boolean }) =>
      withAgent(async () => {
        const services: string[] = options.service === 'all' ? [...AUDITED_SERVICES] : [options.service];
        if (!services.every((service) => (AUDITED_SERVICES as readonly string[]).includes(service))) {
          throw new AgentCallError(`--service: expected ${AUDITED_SERVICES.join(', ')} or all, found ${options.service}`);
        }
        const results: Record<string, { status: number; body: VerifyAnswer }> = {};
        for (const service of services) results[service] = await verifyService(service, config());
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
        const { records } = await agentClient(config()).listAudit({ limit: Number(options.limit), subject: options.subject, action: options.action });
        for (const record of records) {
          process.stdout.write(`${String(record.seq).padStart(6)} ${pc.dim(record.timestamp)} ${record.actor.padEnd(14)} ${record.action.padEnd(20)} ${record.subject}\n`);
        }
      }),
    );
}
