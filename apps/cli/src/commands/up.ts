import { existsSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { DEFAULT_DOCKER_HOSTS } from '@atb/container-engine';
import { SERVICES } from '@atb/contracts';
import type { Command } from 'commander';
import pc from 'picocolors';
import { type CliConfig, childEnvironment, serviceUrls, stackEnvironment } from '../config.js';
import { ManagedContainer } from '../control-container.js';
import { type ChosenRuntime, chooseRuntime, RUNTIME_CHOICES, type RuntimeChoice } from '../control-engine.js';
import { type ControlServer, startControlServer } from '../control-server.js';
import { waitForHttp } from '../http.js';
import { colourFor } from '../output.js';
import { repositoryRoot } from '../paths.js';
import { Supervisor } from '../supervisor.js';

/** The service kept healthy runs as a container when an engine answers. */
const CONTAINERISED_SERVICE = 'market-predictor';

type Service = (typeof SERVICES)[number];

export function registerUp(program: Command, config: () => CliConfig): void {
  program
    .command('up')
    .description('start the whole stack (all four services) and supervise it until Ctrl-C')
    .option('--only <names>', 'comma-separated services to start')
    .option(
      '--runtime <runtime>',
      `auto: the market-predictor runs as a container when a Docker Engine API answers (DOCKER_HOST, else ${DEFAULT_DOCKER_HOSTS.map((host) => host.replace('unix://', '')).join(', ')}), else everything runs as processes; docker: require an engine (starts Podman if installed); process: never use an engine`,
      'auto',
    )
    .action(async (options: { only?: string; runtime: string }) => {
      if (!RUNTIME_CHOICES.includes(options.runtime as RuntimeChoice)) {
        throw new Error(`--runtime: expected one of ${RUNTIME_CHOICES.join(', ')}, received "${options.runtime}"`);
      }
      const settings = config();
      const wanted = options.only?.split(',').map((name) => name.trim());
      const root = repositoryRoot();
      const selected = SERVICES.filter((service) => !wanted || wanted.includes(service.name));
      if (selected.length === 0) throw new Error(`--only: no such service; expected some of ${SERVICES.map((s) => s.name).join(', ')}`);
      for (const service of selected) {
        const script = join(root, service.directory, 'dist', 'src', 'main.js');
        if (!existsSync(script)) throw new Error(`${script} is missing: run \`npm install\` (it builds everything) first`);
      }
      const dataDirectory = isAbsolute(settings.ATB_DATA_DIR) ? settings.ATB_DATA_DIR : join(root, settings.ATB_DATA_DIR);
      const runtime = await chooseRuntime(options.runtime as RuntimeChoice, settings.DOCKER_HOST, dataDirectory);
      const stack = new Stack(root, runtime, settings, dataDirectory);
      process.stdout.write(`${stack.describeRuntime()}\n`);
      process.on('SIGINT', () => void stack.stop());
      process.on('SIGTERM', () => void stack.stop());
      try {
        await stack.start(selected);
      } catch (error) {
        // Nothing half-started is left behind: processes, the container, Podman if we started it.
        process.stderr.write(`${pc.red(`atb up: ${error instanceof Error ? error.message : String(error)}`)}\n`);
        await stack.stop(1);
        return;
      }
      await stack.reportReady(selected, serviceUrls(settings));
    });
}

/** The services `atb up` runs: supervised processes, and the predictor's container with an engine. */
class Stack {
  readonly supervisor = new Supervisor();
  readonly controlFile: string;
  private control?: ControlServer;
  private container?: ManagedContainer;
  private stopping = false;

  constructor(
    private readonly root: string,
    private readonly runtime: ChosenRuntime,
    private readonly settings: CliConfig,
    private readonly dataDirectory: string,
  ) {
    this.controlFile = join(dataDirectory, 'atb', 'control.json');
  }

  describeRuntime(): string {
    return this.runtime.kind === 'docker'
      ? `${pc.bold('container runtime: docker')} ${pc.dim(`(${this.runtime.reason}; ${CONTAINERISED_SERVICE} runs as a container, the gateway acts through the Docker Engine API)`)}`
      : `${pc.bold('container runtime: process')} ${pc.dim(`(${this.runtime.reason}; the gateway acts on these processes through atb's control API, ${this.controlFile})`)}`;
  }

  /** What the gateway needs to reach the runtime `atb up` chose. */
  gatewayEnvironment(): Record<string, string> {
    return this.runtime.kind === 'docker'
      ? { GATEWAY_RUNTIME: 'docker', DOCKER_HOST: this.runtime.engine.dockerHost }
      : { GATEWAY_RUNTIME: 'process', ATB_CONTROL_FILE: this.controlFile };
  }

  async start(services: readonly Service[]): Promise<void> {
    if (this.runtime.kind === 'process') {
      this.control = await startControlServer(this.supervisor, { controlFile: this.controlFile });
    }
    for (const service of services) {
      const script = join(service.directory, 'dist', 'src', 'main.js');
      const labels = { 'atb.managed': 'true', 'atb.service': service.name };
      const asContainer = this.runtime.kind === 'docker' && service.name === CONTAINERISED_SERVICE;
      process.stdout.write(
        `${colourFor(service.name)(service.name.padEnd(17))}│ ${pc.dim(asContainer ? 'starting (container)' : 'starting')}\n`,
      );
      if (asContainer && this.runtime.kind === 'docker') {
        this.container = await ManagedContainer.start(this.runtime.engine, {
          name: CONTAINERISED_SERVICE,
          root: this.root,
          script,
          env: childEnvironment(stackEnvironment(service.name, this.settings, this.dataDirectory)),
          labels,
        });
      } else {
        const extra = {
          ...stackEnvironment(service.name, this.settings, this.dataDirectory),
          ...(service.name === 'command-gateway' ? this.gatewayEnvironment() : {}),
        };
        this.supervisor.start({ name: service.name, script: join(this.root, script), cwd: this.root, env: childEnvironment(extra), labels });
      }
    }
  }

  async reportReady(services: readonly Service[], urls: Record<string, string>): Promise<void> {
    const ready = await Promise.all(
      services.map(async (service) => ({
        service,
        url: urls[service.name] ?? '',
        up: await waitForHttp(urls[service.name] ?? '', 30_000),
      })),
    );
    const lines = ready.map(
      ({ service, url, up }) =>
        `  ${colourFor(service.name)(service.name.padEnd(17))} ${up ? pc.green('up  ') : pc.red('DOWN')} ${url}  ${pc.dim(`${url}/docs`)}`,
    );
    const runtimeLine =
      this.runtime.kind === 'docker'
        ? `  runtime: docker  ${pc.dim(`DOCKER_HOST=${this.runtime.engine.dockerHost}`)}`
        : `  runtime: process  ${pc.dim(`control API ${this.control?.url ?? ''} (token in ${this.controlFile})`)}`;
    process.stdout.write(
      `\n${pc.bold('Autonomous Trading Builder')}\n${lines.join('\n')}\n${runtimeLine}\n${pc.dim('Ctrl-C stops everything.')}\n\n`,
    );
  }

  /** Stops every process and the container, closes the control API and any Podman we started, exits. */
  async stop(exitCode = 0): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    process.stdout.write(`\n${pc.bold('stopping the stack…')}\n`);
    await Promise.all([this.supervisor.stopAll(), this.container?.stop().catch(() => {})]);
    await this.control?.close();
    if (this.runtime.kind === 'docker') await this.runtime.started?.close();
    process.stdout.write(`${pc.bold('all services stopped')}\n`);
    process.exit(exitCode);
  }
}
