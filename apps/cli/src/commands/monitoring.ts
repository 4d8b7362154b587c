import type { DevopsAgentClient } from '@atb/clients';
import type { MonitoringStatus } from '@atb/contracts';
import type { Command } from 'commander';
import pc from 'picocolors';
import type { CliConfig } from '../config.js';
import { agentClient, withAgent } from './agent-client.js';

/** One line per polled service: condition, lag, last answer. */
function printServices(services: MonitoringStatus['services']): void {
  for (const service of services) {
    const condition = service.condition === 'ok' ? pc.green(service.condition) : service.condition === 'unknown' ? pc.dim(service.condition) : pc.red(service.condition);
    const last = service.last_check ? `${service.last_check.http_status ?? service.last_check.error ?? '-'} in ${service.last_check.response_time_ms} ms` : 'no check yet';
    process.stdout.write(
      `  ${service.name.padEnd(24)} ${condition.padEnd(18)} every ${service.interval_seconds}s  ${pc.dim(`${service.target_url}  last ${last}, cycles ${service.cycles}, failures ${service.failures}, skipped ${service.skipped}, lag p99 ${service.lag_ms.p99 ?? '-'} ms`)}\n`,
    );
  }
}

function printState(state: MonitoringStatus, only?: string): void {
  if (only !== undefined || state.services.length > 1) {
    const shown = state.services.filter((service) => only === undefined || service.name === only);
    process.stdout.write(`${state.monitoring_active ? pc.green('monitoring') : pc.yellow('not monitoring')} ${state.services.length} services (at most ${state.concurrency.limit} probes at once)\n`);
    if (only !== undefined && shown.length === 0) process.stdout.write(pc.yellow(`  no polled service named ${only}\n`));
    printServices(shown);
    return;
  }
  process.stdout.write(
    `${state.monitoring_active ? pc.green('monitoring') : pc.yellow('not monitoring')} ${state.target_url} every ${state.interval_seconds}s` +
      pc.dim(
        `  cycles ${state.cycles}, failures ${state.failures}, alerts fired ${state.alerts_fired}, active ${state.active_alerts.length}, p50 ${state.response_time_ms.p50 ?? '-'} ms, p95 ${state.response_time_ms.p95 ?? '-'} ms`,
      ) +
      '\n',
  );
}

/**
 * `atb monitoring start|stop|status|cycle`: the devops agent's polling mode (its `/control/*`
 * and `/monitoring/*` endpoints), with the agent's API token.
 */
export function registerMonitoring(program: Command, config: () => CliConfig): void {
  const monitoring = program.command('monitoring').description("the devops agent's own health polling of the catalog's services");
  const control = (name: string, description: string, needsToken: boolean, call: (client: DevopsAgentClient, service: string | undefined) => Promise<unknown>, state: (answer: never) => MonitoringStatus | undefined) =>
    monitoring
      .command(name)
      .description(description)
      .option('--json', 'machine-readable output')
      .option('--service <name>', 'only this catalog service')
      .action((options: { json?: boolean; service?: string }) =>
        withAgent(async () => {
          const answer = await call(agentClient(config(), { needsToken }), options.service);
          if (options.json) {
            process.stdout.write(`${JSON.stringify(answer, null, 2)}\n`);
            return;
          }
          const shown = state(answer as never);
          if (shown) printState(shown, options.service);
          else process.stdout.write(`${JSON.stringify(answer)}\n`);
        }),
      );
  const controlState = (answer: { monitoring: MonitoringStatus }) => answer.monitoring;
  control('start', 'start polling every catalog service (MARKET_PREDICTOR_URL without SERVICES_FILE)', true, (client) => client.startMonitoring(), controlState);
  control('stop', 'stop polling', true, (client) => client.stopMonitoring(), controlState);
  control('status', 'polling state and response times', false, (client) => client.monitoringStatus(), (answer: MonitoringStatus) => answer);
  control('cycle', 'run one health-check cycle now (of --service, or of each)', true, (client, service) => client.runMonitoringCycle(service), () => undefined);
}
