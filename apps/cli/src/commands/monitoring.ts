import type { Command } from 'commander';
import pc from 'picocolors';
import type { CliConfig } from '../config.js';
import { agentRequest, reportFailure, withAgent } from './incidents.js';

interface MonitoringState {
  monitoring_active: boolean;
  target_url: string;
  interval_seconds: number;
  cycles: number;
  failures: number;
  alerts_fired: number;
  active_alerts: unknown[];
  response_time_ms: { p50: number | null; p95: number | null };
}

function printState(state: MonitoringState): void {
  process.stdout.write(
    `${state.monitoring_active ? pc.green('monitoring') : pc.yellow('not monitoring')} ${state.target_url} every ${state.interval_seconds}s` +
      pc.dim(
        `  cycles ${state.cycles}, failures ${state.failures}, alerts fired ${state.alerts_fired}, active ${state.active_alerts.length}, p50 ${state.response_time_ms.p50 ?? '-'} ms, p95 ${state.response_time_ms.p95 ?? '-'} ms`,
      ) +
      '\n',
  );
}

/**
 * `atb monitoring start|stop|status|cycle`: the devops agent's polling mode (seed 002's
 * `/control/*` and `/monitoring/*` endpoints), with the agent's API token.
 */
export function registerMonitoring(program: Command, config: () => CliConfig): void {
  const monitoring = program.command('monitoring').description("the devops agent's own health polling of the predictor");
  const control = (name: string, description: string, method: 'GET' | 'POST', path: string) =>
    monitoring
      .command(name)
      .description(description)
      .option('--json', 'machine-readable output')
      .action((options: { json?: boolean }) =>
        withAgent(async () => {
          const answer = await agentRequest(config(), path, { method });
          if (answer.status !== 200) return reportFailure(answer);
          if (options.json) {
            process.stdout.write(`${JSON.stringify(answer.body, null, 2)}\n`);
            return;
          }
          const state = (answer.body.monitoring ?? answer.body) as MonitoringState;
          if (typeof state.monitoring_active === 'boolean') printState(state);
          else process.stdout.write(`${JSON.stringify(answer.body)}\n`);
        }),
      );
  control('start', 'start polling MARKET_PREDICTOR_URL every MONITORING_INTERVAL', 'POST', '/control/start-monitoring');
  control('stop', 'stop polling', 'POST', '/control/stop-monitoring');
  control('status', 'polling state and response times', 'GET', '/monitoring/status');
  control('cycle', 'run one health-check cycle now', 'POST', '/monitoring/cycle');
}
