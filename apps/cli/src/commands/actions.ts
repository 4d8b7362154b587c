import type { ListActionsQuery } from '@atb/contracts';
import type { Command } from 'commander';
import pc from 'picocolors';
import type { CliConfig } from '../config.js';
import { agentClient, withAgent } from './agent-client.js';

/**
 * `atb actions [--status pending]`, `atb approve <id> [--reason]`, `atb reject <id> --reason`.
 * Decisions are recorded under the principal of the CLI's token (AGENT_API_TOKEN, or one from
 * `atb token create`), never a typed name.
 */
export function registerActions(program: Command, config: () => CliConfig): void {
  program
    .command('actions')
    .description("list the devops agent's actions; --status pending shows those waiting for approval")
    .option('--status <status>', 'only this status (pending, approved, running, succeeded, failed, rejected, expired, cancelled)')
    .option('--json', 'machine-readable output')
    .action((options: { status?: string; json?: boolean }) =>
      withAgent(async () => {
        const { actions } = await agentClient(config()).listActions({ status: options.status } as ListActionsQuery);
        if (options.json) {
          process.stdout.write(`${JSON.stringify(actions, null, 2)}\n`);
          return;
        }
        if (actions.length === 0) process.stdout.write(pc.dim('no actions\n'));
        for (const action of actions) {
          const paint = action.status === 'pending' ? pc.yellow : action.status === 'succeeded' ? pc.green : action.status === 'failed' ? pc.red : pc.cyan;
          process.stdout.write(
            `${action.id}  ${paint(action.status.padEnd(9))} ${action.operation.padEnd(8)} ${action.target.padEnd(20)} risk ${action.risk.padEnd(6)} conf ${action.confidence.toFixed(2)}  ${pc.dim(`incident ${action.incident_id}`)}\n`,
          );
          if (action.status === 'pending') {
            process.stdout.write(pc.dim(`    ${action.decision_reason}${action.expires_at ? `; expires ${action.expires_at}` : ''}\n`));
          }
        }
      }),
    );

  program
    .command('approve <id>')
    .description('approve a pending action: it runs once through the command gateway')
    .option('--reason <reason>', 'why')
    .action((id: string, options: { reason?: string }) =>
      withAgent(async () => {
        const client = agentClient(config(), { needsToken: true });
        const action = await client.approveAction(id, options.reason ? { reason: options.reason } : {});
        const state = action.status === 'pending' ? pc.yellow('first approval recorded (a second approver must approve)') : pc.green('approved');
        process.stdout.write(`${state} ${id}: ${action.operation} ${action.target} by ${action.approved_by}\n`);
      }),
    );

  program
    .command('reject <id>')
    .description('reject a pending action: nothing runs and the incident is escalated')
    .requiredOption('--reason <reason>', 'why (required)')
    .action((id: string, options: { reason: string }) =>
      withAgent(async () => {
        const client = agentClient(config(), { needsToken: true });
        const action = await client.rejectAction(id, { reason: options.reason });
        process.stdout.write(`${pc.yellow('rejected')} ${id}: ${action.operation} ${action.target} by ${action.approved_by}\n`);
      }),
    );
}
