import type { Command } from 'commander';
import pc from 'picocolors';
import { type CliConfig, serviceUrls } from '../config.js';
import { getJson } from '../http.js';

export function registerStatus(program: Command, config: () => CliConfig): void {
  program
    .command('status')
    .description("print each service's health and version")
    .option('--json', 'machine-readable output')
    .action(async (options: { json?: boolean }) => {
      const urls = serviceUrls(config());
      const rows = await Promise.all(
        Object.entries(urls).map(async ([name, url]) => {
          const [health, status] = await Promise.all([getJson(`${url}/health`), getJson(`${url}/status`)]);
          return {
            name,
            url,
            health: health.ok ? String(health.body.status ?? 'unknown') : 'down',
            version: status.ok ? String(status.body.version ?? '?') : '-',
            uptime_seconds: status.ok ? Number(status.body.uptime_seconds ?? 0) : null,
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
