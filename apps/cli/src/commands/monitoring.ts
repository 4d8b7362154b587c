import type { DevopsAgentClient } from '@atb/clients';
import type { MonitoringStatus } from '@atb/contracts';
import type { Command } from 'commander';
import pc from 'picocolors';
import type { CliConfig } from '../config.js';
import { agentClient, withAgent } from './agent-client.js';

function printState(state: MonitoringStatus): void {
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
  const monitoring = program.command('monitoring').description("the devops agent's own health polling of the predictor");
  const control = (name: string, description: string, needsToken: boolean, call: (client: DevopsAgentClient) => Promise<unknown>, state: (answer: never) => MonitoringStatus | undefined) =>
    monitoring
      .command(name)
      .description(description)
      .option('--json', 'machine-readable output')
      .action((options: { json?: boolean }) =>
        withAgent(async () => {
          const answer = await call(agentClient(config(), { needsToken }));
          if (options.json) {
            process.stdout.write(`${JSON.stringify(answer, null, 2)}\n`);
            return;
          }
          const shown = state(answer as never);
          if (shown) printState(shown);
          else process.stdout.write(`${JSON.stringify(answer)}\n`);
        }),
      );
  const controlState = (answer: { monitoring: MonitoringStatus }) => answer.monitoring;
  control('start', 'start polling MARKET_PREDICTOR_URL every MONITORING_INTERVAL', true, (client) => client.startMonitoring(), controlState);
  control('stop', 'stop polling', true, (client) => client.stopMonitoring(), controlState);
  control('status', 'polling state and response times', false, (client) => client.monitoringStatus(), (answer: MonitoringStatus) => answer);
  control('cycle', 'run one health-check cycle now', true, (client) => client.runMonitoringCycle(), () => undefined);
}
