import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { SERVICES } from '@atb/contracts';
import type { Command } from 'commander';
import pc from 'picocolors';
import { type CliConfig, childEnvironment, serviceUrls } from '../config.js';
import { ManagedContainer } from '../control-container.js';
import { type ChosenRuntime, chooseRuntime, RUNTIME_CHOICES, type RuntimeChoice } from '../control-engine.js';
import { type ControlServer, startControlServer } from '../control-server.js';
import { waitForHttp } from '../http.js';
import { colourFor } from '../output.js';
import { repositoryRoot } from '../paths.js';
import { Supervisor } from '../supervisor.js';

/** The service kept healthy runs as a container when an engine answers (SPEC §2, §5). */
const CONTAINERISED_SERVICE = 'market-predictor';

export function registerUp(program: Command, config: () => CliConfig): void {
  program
    .command('up')
    .description('start the whole stack (all four services) and supervise it until Ctrl-C')
    .option('--only <names>', 'comma-separated services to start')
    .option(
      '--runtime <runtime>',
      'auto: the market-predictor runs as a container when a Docker Engine API answers (DOCKER_HOST, /var/run/docker.sock, /run/podman/podman.sock), else everything runs as processes; docker: require an engine (starts Podman if installed); process: never use an engine',
      'auto',
    )
    .action(async (options: { only?: string; runtime: string }) => {
      if (!RUNTIME_CHOICES.includes(options.runtime as RuntimeChoice)) {
        throw new Error(`--runtime: expected one of ${RUNTIME_CHOICES.join(', ')}, received "${options.runtime}"`);
      }
      const settings = config();
      const wanted = options.only?.split(',').map((name) => name.trim());
      const urls = serviceUrls(settings);
      const root = repositoryRoot();
      const supervisor = new Supervisor();
      const selected = SERVICES.filter((service) => !wanted || wanted.includes(service.name));
      if (selected.length === 0) throw new Error(`--only: no such service; expected some of ${SERVICES.map((s) => s.name).join(', ')}`);
      for (const service of selected) {
        const script = join(root, service.directory, 'dist', 'src', 'main.js');
        if (!existsSync(script)) throw new Error(`${script} is missing: run \`npm install\` (it builds everything) first`);
      }

      const runtime: ChosenRuntime = await chooseRuntime(options.runtime as RuntimeChoice, settings.DOCKER_HOST, root);
      const controlFile = join(root, '.data', 'atb', 'control.json');
      let control: ControlServer | undefined;
      let container: ManagedContainer | undefined;
      const gatewayEnvironment: Record<string, string> =
        runtime.kind === 'docker'
          ? { GATEWAY_RUNTIME: 'docker', DOCKER_HOST: runtime.engine.dockerHost }
          : { GATEWAY_RUNTIME: 'process', ATB_CONTROL_FILE: controlFile };
      process.stdout.write(
        runtime.kind === 'docker'
          ? `${pc.bold('container runtime: docker')} ${pc.dim(`(${runtime.reason}; ${CONTAINERISED_SERVICE} runs as a container, the gateway acts through the Docker Engine API)`)}\n`
          : `${pc.bold('container runtime: process')} ${pc.dim(`(${runtime.reason}; the gateway acts on these processes through atb's control API, ${controlFile})`)}\n`,
      );

      let stopping = false;
      const stop = async () => {
        if (stopping) return;
        stopping = true;
        process.stdout.write(`\n${pc.bold('stopping the stack…')}\n`);
        await Promise.all([supervisor.stopAll(), container?.stop().catch(() => {})]);
        await control?.close();
        if (runtime.kind === 'docker') await runtime.started?.close();
        process.stdout.write(`${pc.bold('all services stopped')}\n`);
        process.exit(0);
      };
      process.on('SIGINT', stop);
      process.on('SIGTERM', stop);

      if (runtime.kind === 'process') control = await startControlServer(supervisor, { controlFile });
      for (const service of selected) {
        const script = join(root, service.directory, 'dist', 'src', 'main.js');
        const extra = service.name === 'command-gateway' ? gatewayEnvironment : {};
        const asContainer = runtime.kind === 'docker' && service.name === CONTAINERISED_SERVICE;
        process.stdout.write(
          `${colourFor(service.name)(service.name.padEnd(17))}│ ${pc.dim(asContainer ? 'starting (container)' : 'starting')}\n`,
        );
        if (asContainer) {
          container = await ManagedContainer.start(runtime.engine, {
            name: CONTAINERISED_SERVICE,
            root,
            script: join(service.directory, 'dist', 'src', 'main.js'),
            env: childEnvironment(),
            labels: { 'atb.managed': 'true', 'atb.service': service.name },
          });
        } else {
          supervisor.start({
            name: service.name,
            script,
            cwd: root,
            env: childEnvironment(extra),
            labels: { 'atb.managed': 'true', 'atb.service': service.name },
          });
        }
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
      const runtimeLine =
        runtime.kind === 'docker'
          ? `  runtime: docker  ${pc.dim(`DOCKER_HOST=${runtime.engine.dockerHost}`)}`
          : `  runtime: process  ${pc.dim(`control API ${control?.url ?? ''} (token in ${controlFile})`)}`;
      process.stdout.write(
        `\n${pc.bold('Autonomous Trading Builder')}\n${lines.join('\n')}\n${runtimeLine}\n${pc.dim('Ctrl-C stops everything.')}\n\n`,
      );
    });
}
