import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { SERVICES } from '@atb/contracts';
import type { Command } from 'commander';
import pc from 'picocolors';
import { type CliConfig, childEnvironment, serviceUrls } from '../config.js';
import { waitForHttp } from '../http.js';
import { colourFor } from '../output.js';
import { repositoryRoot } from '../paths.js';
import { Supervisor } from '../supervisor.js';

export function registerUp(program: Command, config: () => CliConfig): void {
  program
    .command('up')
    .description('start the whole stack (all four services) and supervise it until Ctrl-C')
    .option('--only <names>', 'comma-separated services to start')
    .action(async (options: { only?: string }) => {
      const wanted = options.only?.split(',').map((name) => name.trim());
      const urls = serviceUrls(config());
      const root = repositoryRoot();
      const supervisor = new Supervisor();
      const selected = SERVICES.filter((service) => !wanted || wanted.includes(service.name));
      if (selected.length === 0) throw new Error(`--only: no such service; expected some of ${SERVICES.map((s) => s.name).join(', ')}`);

      let stopping = false;
      const stop = async () => {
        if (stopping) return;
        stopping = true;
        process.stdout.write(`\n${pc.bold('stopping the stack…')}\n`);
        await supervisor.stopAll();
        process.stdout.write(`${pc.bold('all services stopped')}\n`);
        process.exit(0);
      };
      process.on('SIGINT', stop);
      process.on('SIGTERM', stop);

      for (const service of selected) {
        const script = join(root, service.directory, 'dist', 'src', 'main.js');
        if (!existsSync(script)) {
          throw new Error(`${script} is missing: run \`npm install\` (it builds everything) first`);
        }
        process.stdout.write(`${colourFor(service.name)(service.name.padEnd(17))}│ ${pc.dim('starting')}\n`);
        supervisor.start({ name: service.name, script, cwd: root, env: childEnvironment() });
      }
      const ready = await Promise.all(
        selected.map(async (service) => ({
          service,
          url: urls[service.name] ?? '',
          up: await waitForHttp(`${urls[service.name]}/health`, 30_000),
        })),
      );
      const lines = ready.map(
        ({ service, url, up }) =>
          `  ${colourFor(service.name)(service.name.padEnd(17))} ${up ? pc.green('up  ') : pc.red('DOWN')} ${url}  ${pc.dim(`${url}/docs`)}`,
      );
      process.stdout.write(`\n${pc.bold('Autonomous Trading Builder')}\n${lines.join('\n')}\n${pc.dim('Ctrl-C stops everything.')}\n\n`);
    });
}
