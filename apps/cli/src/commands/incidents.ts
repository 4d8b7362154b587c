import { describeEvidence, type Evidence, type IncidentDetail, type ListIncidentsQuery, queryValueText } from '@atb/contracts';
import type { Command } from 'commander';
import pc from 'picocolors';
import type { CliConfig } from '../config.js';
import { agentClient, withAgent } from './agent-client.js';

export { AgentCallError, agentClient, readAgentToken, withAgent } from './agent-client.js';

const STATE_COLOURS: Record<string, (text: string) => string> = {
  resolved: pc.green,
  escalated: pc.red,
  failed: pc.red,
  awaiting_approval: pc.yellow,
};

/** Each PromQL query with its value, then the log lines kept, as they were written. */
function printQueriesAndLogs(evidence: Evidence): void {
  if (evidence.queries?.length) process.stdout.write('  queries:\n');
  for (const query of evidence.queries ?? []) process.stdout.write(`    ${query.name} = ${queryValueText(query)}  ${pc.dim(query.query)}\n`);
  const excerpt = evidence.logs?.excerpt ?? [];
  if (excerpt.length) process.stdout.write(`  log lines (${excerpt.length} of ${evidence.logs?.lines_read} read):\n`);
  for (const line of excerpt) process.stdout.write(`    ${line}\n`);
}

function printIncident(incident: IncidentDetail): void {
  process.stdout.write(`${pc.bold(incident.title)}\n${incident.id}  ${incident.state}  ${incident.alertname} on ${incident.service}\n`);
  if (incident.analysis) {
    const analysis = incident.analysis.analysis;
    process.stdout.write(`analysis: ${analysis.issue_type} (confidence ${analysis.confidence})${incident.analysis.runbook ? `, runbook ${incident.analysis.runbook}` : ''}\n  ${analysis.root_cause}\n`);
    const evidence = incident.analysis.evidence;
    if (evidence) {
      process.stdout.write(`evidence (${evidence.duration_ms} ms of ${evidence.budget_ms} ms): ${evidence.facts.join(', ') || 'no facts'}\n`);
      for (const line of describeEvidence(evidence)) process.stdout.write(`  ${line}\n`);
      printQueriesAndLogs(evidence);
    }
  }
  const task = incident.coding_task;
  if (task) {
    const detail = task.pull_request_url ?? task.reason ?? task.last_error ?? '';
    process.stdout.write(`coding task ${task.task_id ?? '(not accepted yet)'}: ${task.status}${detail ? `  ${pc.dim(detail)}` : ''}\n`);
  }
  for (const action of incident.actions) {
    process.stdout.write(`action ${action.id}: ${action.operation} ${action.status}${action.effective === null ? '' : action.effective ? ' effective' : ' ineffective'}\n`);
  }
  for (const event of incident.timeline) process.stdout.write(`${pc.dim(event.at)} ${event.type}\n`);
}

/** `atb incidents [--state] [--active] [--service] [--issue-type] [--alertname] [--since] [--until] [--cursor] [--limit] [--json]` and `atb incident <id>`. */
export function registerIncidents(program: Command, config: () => CliConfig): void {
  program
    .command('incidents')
    .description("list the devops agent's incidents, newest first")
    .option('--state <state>', 'only this state (open, investigating, awaiting_approval, remediating, verifying, resolved, escalated, failed)')
    .option('--active', 'only active incidents (every state but resolved, escalated and failed)')
    .option('--service <service>', 'only this service')
    .option('--issue-type <type>', "only incidents the analysis found to be this issue type (service_down, memory_leak, …)")
    .option('--alertname <name>', 'only incidents of this alert name')
    .option('--type <alertname>', 'the same as --alertname (kept for scripts written before --issue-type)')
    .option('--since <time>', 'opened at or after (ISO 8601)')
    .option('--until <time>', 'opened before (ISO 8601)')
    .option('--cursor <cursor>', 'the next page (the cursor the previous page printed)')
    .option('--limit <n>', 'how many', '20')
    .option('--json', 'machine-readable output')
    .action((options: { state?: string; active?: boolean; service?: string; issueType?: string; alertname?: string; type?: string; since?: string; until?: string; cursor?: string; limit: string; json?: boolean }) =>
      withAgent(async () => {
        const query = {
          limit: Number(options.limit),
          state: options.state,
          active: options.active ? 'true' : undefined,
          service: options.service,
          issue_type: options.issueType,
          alertname: options.alertname ?? options.type,
          since: options.since,
          until: options.until,
          cursor: options.cursor,
        } as ListIncidentsQuery;
        const { incidents, next_cursor } = await agentClient(config()).listIncidents(query);
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
        if (next_cursor) process.stdout.write(pc.dim(`more: --cursor ${next_cursor}\n`));
      }),
    );

  program
    .command('incident <id>')
    .description('show one incident: analysis, coding task, actions and timeline')
    .option('--json', 'machine-readable output')
    .action((id: string, options: { json?: boolean }) =>
      withAgent(async () => {
        const incident = await agentClient(config()).getIncident(id);
        if (options.json) process.stdout.write(`${JSON.stringify(incident, null, 2)}\n`);
        else printIncident(incident);
      }),
    );
}
