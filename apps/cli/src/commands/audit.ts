import type { Command } from 'commander';
import pc from 'picocolors';
import type { CliConfig } from '../config.js';
import { agentClient, withAgent } from './agent-client.js';

/** `atb audit verify`: checks the devops agent's hash-chained audit log (exit 1 when broken). */
export function registerAudit(program: Command, config: () => CliConfig): void {
  const audit = program.command('audit').description("the devops agent's audit log");
  audit
    .command('verify')
    .description('verify the hash chain of the devops agent audit log')
    .option('--json', 'machine-readable output')
    .action((options: { json?: boolean }) =>
      withAgent(async () => {
        const verification = await agentClient(config()).verifyAudit();
        if (options.json) process.stdout.write(`${JSON.stringify(verification, null, 2)}\n`);
        else if (verification.valid) process.stdout.write(`${pc.green('valid')}: ${verification.count} records, head ${verification.head}\n`);
        else process.stdout.write(`${pc.red('BROKEN')} at record ${verification.broken_at}: ${verification.reason}\n`);
        if (!verification.valid) process.exitCode = 1;
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
