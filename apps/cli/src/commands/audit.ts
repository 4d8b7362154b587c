import type { Command } from 'commander';
import pc from 'picocolors';
import type { CliConfig } from '../config.js';
import { agentRequest, withAgent } from './incidents.js';

/** `atb audit verify`: checks the devops agent's hash-chained audit log (exit 1 when broken). */
export function registerAudit(program: Command, config: () => CliConfig): void {
  const audit = program.command('audit').description("the devops agent's audit log");
  audit
    .command('verify')
    .description('verify the hash chain of the devops agent audit log')
    .option('--json', 'machine-readable output')
    .action((options: { json?: boolean }) =>
      withAgent(async () => {
        const answer = await agentRequest(config(), '/audit/verify');
        const body = answer.body as { valid?: boolean; count?: number; head?: string; broken_at?: number; reason?: string };
        if (options.json) process.stdout.write(`${JSON.stringify(body, null, 2)}\n`);
        else if (body.valid) process.stdout.write(`${pc.green('valid')}: ${body.count} records, head ${body.head}\n`);
        else process.stdout.write(`${pc.red('BROKEN')} at record ${body.broken_at}: ${body.reason ?? `HTTP ${answer.status}`}\n`);
        if (!body.valid) process.exitCode = 1;
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
