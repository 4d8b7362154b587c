import type { ServiceDetail, ServiceSummary } from '@atb/contracts';
import type { Command } from 'commander';
import pc from 'picocolors';
import type { CliConfig } from '../config.js';
import { agentClient, withAgent } from './agent-client.js';

function conditionText(service: ServiceSummary): string {
  const condition = service.monitoring?.condition ?? 'not polled';
  return condition === 'ok' ? pc.green(condition) : condition === 'unknown' || condition === 'not polled' ? pc.dim(condition) : pc.red(condition);
}

function printSummary(service: ServiceSummary): void {
  const target = service.target.container ?? Object.entries(service.target.labels ?? {}).map(([key, value]) => `${key}=${value}`).join(',');
  const open = service.open_incidents > 0 ? pc.yellow(`${service.open_incidents} open`) : pc.dim('0 open');
  process.stdout.write(
    `${service.name.padEnd(24)} ${conditionText(service).padEnd(20)} ${open.padEnd(18)} ${pc.dim(`target ${target}${service.autonomous ? '' : ', no autonomous action'}${service.owners.length ? `, owners ${service.owners.join(', ')}` : ''}`)}\n`,
  );
}

function printDetail(service: ServiceDetail): void {
  printSummary(service);
  if (service.repository) process.stdout.write(pc.dim(`  repository ${service.repository}${service.escalation_channel ? `, escalations to ${service.escalation_channel}` : ''}\n`));
  for (const incident of service.incidents) process.stdout.write(`  incident ${incident.id}  ${incident.state.padEnd(17)} ${incident.alertname}  ${pc.dim(incident.title)}\n`);
  for (const action of service.last_actions.slice(0, 5)) process.stdout.write(`  action   ${action.id}  ${action.status.padEnd(9)} ${action.operation} ${action.target}\n`);
  for (const stat of service.learning) process.stdout.write(pc.dim(`  learned  ${stat.alertname} → ${stat.action}: ${stat.successes}/${stat.attempts} effective\n`));
}

/** `atb services [name]`: the devops agent's service catalog, or one service at a glance. */
export function registerServices(program: Command, config: () => CliConfig): void {
  program
    .command('services [name]')
    .description("the devops agent's service catalog: health and open incidents per service; with a name, its incidents, last actions and learning")
    .option('--json', 'machine-readable output')
    .action((name: string | undefined, options: { json?: boolean }) =>
      withAgent(async () => {
        const client = agentClient(config());
        const answer = name === undefined ? await client.listServices() : await client.getService(name);
        if (options.json) {
          process.stdout.write(`${JSON.stringify(answer, null, 2)}\n`);
          return;
        }
        if ('services' in answer) {
          if (answer.catalog.last_error) process.stdout.write(pc.yellow(`catalog reload refused (${answer.catalog.last_error.at}): ${answer.catalog.last_error.error}\n`));
          for (const service of answer.services) printSummary(service);
          return;
        }
        printDetail(answer);
      }),
    );
}
