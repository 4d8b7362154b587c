import type { Command } from 'commander';
import pc from 'picocolors';
import { type CliConfig, serviceUrls } from '../config.js';
import { serviceProbe } from '../http.js';

const settle = async <T>(promise: Promise<T>): Promise<{ ok: true; value: T } | { ok: false; error: string }> =>
  promise.then(
    (value) => ({ ok: true as const, value }),
    (error: unknown) => ({ ok: false as const, error: error instanceof Error ? error.message : String(error) }),
  );

export function registerStatus(program: Command, config: () => CliConfig): void {
  program
    .command('status')
    .description("print each service's health and version")
    .option('--json', 'machine-readable output')
    .action(async (options: { json?: boolean }) => {
      const urls = serviceUrls(config());
      const rows = await Promise.all(
        Object.entries(urls).map(async ([name, url]) => {
          const probe = serviceProbe(name, url);
          const [health, status] = await Promise.all([settle(probe.health()), settle(probe.status())]);
          return {
            name,
            url,
            health: health.ok ? health.value.status : 'down',
            version: status.ok ? status.value.version : '-',
            uptime_seconds: status.ok ? status.value.uptime_seconds : null,
            error: health.ok ? undefined : health.error,
          };
        }),
      );
      if (options.json) {
        process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
      } else {
        for (const row of rows) {
          const paint = row.health === 'healthy' ? pc.green : row.health === 'degraded' ? pc.yellow : pc.red;
          process.stdout.write(
            `${row.name.padEnd(17)} ${paint(row.health.padEnd(9))} ${row.version.padEnd(8)} ${row.url}${
              row.uptime_seconds === null ? pc.dim(`  ${row.error ?? ''}`) : pc.dim(`  up ${row.uptime_seconds}s`)
            }\n`,
          );
        }
      }
      if (rows.some((row) => row.health === 'down' || row.health === 'unhealthy')) process.exitCode = 1;
    });
}
