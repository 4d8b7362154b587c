import type { Command } from 'commander';
import pc from 'picocolors';
import type { CliConfig } from '../config.js';
import { DRILL_FAULTS, isDrillFault } from '../drill/drill-faults.js';
import { runDrill } from '../drill/run-drill.js';
import { readAgentToken } from './incidents.js';

interface DrillCommandOptions {
  timeout: string;
  traffic: boolean;
  json?: boolean;
  verbose?: boolean;
  latencyMs?: string;
  errorRate?: string;
  leakMbPerSecond?: string;
  leakMaxMb?: string;
}

function positiveNumber(value: string | undefined, option: string): number | undefined {
  if (value === undefined) return undefined;
  const parsed = Number(value);
  if (!Number.isFinite(parsed) || parsed <= 0) throw new Error(`${option}: expected a positive number, found "${value}"`);
  return parsed;
}

/** `atb drill <fault>`: inject a fault into the running predictor and narrate the loop live. */
export function registerDrill(program: Command, config: () => CliConfig): void {
  program
    .command('drill')
    .description(
      `inject a fault into the running predictor (${DRILL_FAULTS.join('|')}) and narrate the agent's loop until the incident closes`,
    )
    .argument('<fault>', DRILL_FAULTS.join(' | '))
    .option('--timeout <seconds>', 'give up after this long', '300')
    .option('--no-traffic', 'do not send /predict traffic during the errors and latency drills')
    .option('--latency-ms <ms>', 'latency drill: delay per request (default 3000)')
    .option('--error-rate <share>', 'errors drill: share of requests failing, 0..1 (default 0.5)')
    .option('--leak-mb-per-second <mb>', 'memory-leak drill: MiB retained per second (default 20)')
    .option('--leak-max-mb <mb>', 'memory-leak drill: MiB retained at most (default 450)')
    .option('--verbose', "also print every event of the incident's timeline")
    .option('--json', 'print the stage report as JSON at the end')
    .addHelpText(
      'after',
      '\nNeeds the predictor started with CHAOS_ENABLED=true and the devops agent running (atb up).\n' +
        'With SAFETY_MODE=true (the default) the drill tells you which action to approve: atb approve <id>.',
    )
    .action(async (fault: string, options: DrillCommandOptions) => {
      if (!isDrillFault(fault)) throw new Error(`unknown fault "${fault}": expected one of ${DRILL_FAULTS.join(', ')}`);
      const timeoutSeconds = positiveNumber(options.timeout, '--timeout') ?? 300;
      const errorRate = positiveNumber(options.errorRate, '--error-rate');
      if (errorRate !== undefined && errorRate > 1) throw new Error(`--error-rate: expected a share between 0 and 1, found ${errorRate}`);
      const urls = config();
      const controller = new AbortController();
      const interrupt = () => controller.abort();
      process.once('SIGINT', interrupt);
      try {
        const result = await runDrill({
          fault,
          parameters: {
            latencyMs: positiveNumber(options.latencyMs, '--latency-ms'),
            errorRate,
            leakMbPerSecond: positiveNumber(options.leakMbPerSecond, '--leak-mb-per-second'),
            leakMaxMb: positiveNumber(options.leakMaxMb, '--leak-max-mb'),
          },
          predictorUrl: urls.MARKET_PREDICTOR_URL,
          agentUrl: urls.DEVOPS_AGENT_URL,
          agentToken: readAgentToken(urls),
          timeoutMs: timeoutSeconds * 1000,
          traffic: options.traffic,
          verbose: options.verbose === true,
          write: (line) => process.stdout.write(`${line}\n`),
          signal: controller.signal,
        });
        if (options.json) process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
        if (result.outcome !== 'resolved') process.exitCode = 1;
      } finally {
        process.removeListener('SIGINT', interrupt);
      }
      if (controller.signal.aborted) process.stdout.write(pc.yellow('drill interrupted\n'));
    });
}
