import { execFile, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { httpJson, type PodmanEngine, waitFor } from '@atb/testing';

const run = promisify(execFile);

/** The repository root (the build context). */
export const REPOSITORY = resolve(dirname(fileURLToPath(import.meta.url)), '../../../..');
export const COMPOSE_FILE = join(REPOSITORY, 'deploy/compose/compose.yaml');
export const SCALED_COMPOSE_FILE = join(REPOSITORY, 'deploy/compose/compose.scaled.yaml');
export const SERVICES = ['market-predictor', 'devops-agent', 'coding-agent', 'command-gateway'] as const;
export const STACK_SERVICES = [...SERVICES, 'prometheus', 'alertmanager'] as const;

/** `undefined` when every binary the composed-stack test needs runs, otherwise what is missing. */
export async function probeComposeTools(): Promise<string | undefined> {
  for (const [binary, flag] of [
    ['podman', '--version'],
    ['runc', '--version'],
    ['docker-compose', 'version'],
    ['mmdebstrap', '--version'],
  ] as const) {
    try {
      await run(binary, [flag], { timeout: 15_000 });
    } catch (error) {
      return `${binary} ${flag} failed: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}`;
    }
  }
  return undefined;
}

/** Runs a command to completion; rejects with its output when it fails. */
export function runCommand(
  command: string,
  args: string[],
  options: { env?: NodeJS.ProcessEnv; cwd?: string; timeoutMs?: number } = {},
): Promise<{ stdout: string; stderr: string; durationMs: number }> {
  const started = Date.now();
  return new Promise((resolveRun, rejectRun) => {
    const child = spawn(command, args, { cwd: options.cwd ?? REPOSITORY, env: options.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr = (stderr + chunk.toString()).slice(-20_000);
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 600_000);
    child.once('error', rejectRun);
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolveRun({ stdout, stderr, durationMs: Date.now() - started });
      else rejectRun(new Error(`${command} ${args.join(' ')} exited ${code ?? signal}:\n${stderr.slice(-4000)}\n${stdout.slice(-2000)}`));
    });
  });
}

export interface BaseImages {
  BASE_IMAGE: string;
  BUILD_IMAGE: string;
  PROMETHEUS_IMAGE: string;
  ALERTMANAGER_IMAGE: string;
}

/** scripts/build-base-image.sh (cached per machine by content hash): the four image names. */
export async function buildBaseImages(engine: PodmanEngine): Promise<BaseImages> {
  await runCommand('bash', ['scripts/build-base-image.sh'], { env: { ...process.env, CONTAINERS_CONF: engine.containersConf }, timeoutMs: 900_000 });
  const text = readFileSync(join(REPOSITORY, '.data/images/images.env'), 'utf8');
  const values = Object.fromEntries(text.trim().split('\n').map((line) => line.split('=') as [string, string]));
  return values as unknown as BaseImages;
}

export interface InfraImages {
  POSTGRES_IMAGE: string;
  REDIS_IMAGE: string;
  HAPROXY_IMAGE: string;
}

/** scripts/build-infra-images.sh (cached per machine by content hash): the scaled profile's PostgreSQL, Redis and HAProxy. */
export async function buildInfraImages(engine: PodmanEngine): Promise<InfraImages> {
  await runCommand('bash', ['scripts/build-infra-images.sh'], { env: { ...process.env, CONTAINERS_CONF: engine.containersConf }, timeoutMs: 900_000 });
  const text = readFileSync(join(REPOSITORY, '.data/images/infra-images.env'), 'utf8');
  return Object.fromEntries(text.trim().split('\n').map((line) => line.split('=') as [string, string])) as unknown as InfraImages;
}

/** The CA bundle the build's `npm ci` must trust (a TLS-intercepting proxy's), when there is one. */
function npmCaFile(): string | undefined {
  const candidate = process.env.NODE_EXTRA_CA_CERTS;
  return candidate && existsSync(candidate) ? candidate : undefined;
}

/**
 * `podman build --format docker --target <service>` for each service from the repository's
 * Dockerfile; Podman's layer cache makes every target after the first, and every later run,
 * reuse the build stage. Answers the image names.
 */
export async function buildServiceImages(
  engine: PodmanEngine,
  bases: BaseImages,
  prefix: string,
  tag: string,
): Promise<{ images: Record<(typeof SERVICES)[number], string>; durationMs: number }> {
  const started = Date.now();
  const ca = npmCaFile();
  const images = {} as Record<(typeof SERVICES)[number], string>;
  for (const service of SERVICES) {
    const image = `${prefix}-${service}:${tag}`;
    await runCommand(
      'podman',
      [
        'build',
        '--format',
        'docker',
        '--layers',
        '--target',
        service,
        '--build-arg',
        `BASE_IMAGE=${bases.BASE_IMAGE}`,
        '--build-arg',
        `BUILD_IMAGE=${bases.BUILD_IMAGE}`,
        ...(ca ? ['--secret', `id=npm_ca,src=${ca}`] : []),
        '-t',
        image,
        '.',
      ],
      { env: { ...process.env, CONTAINERS_CONF: engine.containersConf }, timeoutMs: 1_200_000 },
    );
    images[service] = image;
  }
  return { images, durationMs: Date.now() - started };
}

/** docker-compose 1.29 against the engine's Docker API socket, with the stack's variables. */
export function compose(engine: PodmanEngine, variables: Record<string, string>, args: string[], timeoutMs = 300_000, file = COMPOSE_FILE) {
  return runCommand('docker-compose', ['-f', file, ...args], {
    // docker-compose gives up on an API call after 60 s; Podman's API can stall longer than that
    // while other builds on the same machine hold its storage lock.
    env: { ...process.env, DOCKER_HOST: engine.dockerHost, CONTAINERS_CONF: engine.containersConf, COMPOSE_HTTP_TIMEOUT: '300', ...variables },
    timeoutMs,
  });
}

/** A raw request to the engine's API socket (the libpod endpoints dockerode does not cover). */
function engineRequest(engine: PodmanEngine, method: string, path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolveRequest, rejectRequest) => {
    const request = httpRequest({ socketPath: engine.socketPath, path, method, timeout: 15_000 }, (response) => {
      let body = '';
      response.on('data', (chunk: Buffer) => {
        body += chunk.toString();
      });
      response.on('end', () => resolveRequest({ status: response.statusCode ?? 0, body }));
    });
    request.on('timeout', () => request.destroy(new Error(`${method} ${path}: no answer in 15 s`)));
    request.on('error', rejectRequest);
    request.end();
  });
}

/**
 * Podman schedules healthchecks with systemd timers; on a host without systemd (these machines,
 * most CI containers) nothing runs them and every container stays "starting", so
 * `depends_on: condition: service_healthy` would wait forever. This runs each running
 * container's healthcheck of the project every `intervalMs`, as Docker's daemon or Podman's
 * timers would (docs/deploy.md, "Podman without systemd").
 */
export function driveHealthchecks(engine: PodmanEngine, project: string, intervalMs = 2000): { stop(): void } {
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  const tick = async () => {
    try {
      const containers = await engine.docker.listContainers({ filters: { label: [`com.docker.compose.project=${project}`] } });
      await Promise.all(
        containers.map((container) => engineRequest(engine, 'GET', `/v4.0.0/libpod/containers/${container.Id}/healthcheck`).catch(() => undefined)),
      );
    } catch {
      // the engine is busy or the project is going down: try again next tick
    }
    if (!stopped) timer = setTimeout(tick, intervalMs);
  };
  timer = setTimeout(tick, 0);
  return {
    stop() {
      stopped = true;
      clearTimeout(timer);
    },
  };
}

/** The project's container of a compose service. */
export async function serviceContainer(engine: PodmanEngine, project: string, service: string) {
  const [container] = await engine.docker.listContainers({
    all: true,
    filters: { label: [`com.docker.compose.project=${project}`, `com.docker.compose.service=${service}`] },
  });
  if (!container) throw new Error(`no container for compose service ${service} in project ${project}`);
  return engine.docker.getContainer(container.Id).inspect();
}

/** Every container (each replica) of a compose service in the project. */
export async function serviceReplicas(engine: PodmanEngine, project: string, service: string) {
  const containers = await engine.docker.listContainers({
    all: true,
    filters: { label: [`com.docker.compose.project=${project}`, `com.docker.compose.service=${service}`] },
  });
  return Promise.all(containers.map((container) => engine.docker.getContainer(container.Id).inspect()));
}

/** Waits until every service of the stack reports healthy; the timeout names each one's state. */
export async function waitForStackHealthy(engine: PodmanEngine, project: string, timeoutMs = 180_000): Promise<void> {
  await waitFor(
    async () => {
      const states = await Promise.all(
        STACK_SERVICES.map(async (service) => [service, (await serviceContainer(engine, project, service)).State.Health?.Status] as const),
      );
      if (states.every(([, state]) => state === 'healthy')) return true;
      throw new Error(states.map(([service, state]) => `${service} ${state}`).join(', '));
    },
    { timeoutMs, intervalMs: 1000, description: `every service of ${project} healthy` },
  );
}

/** JSON over HTTP with an optional bearer token; never throws on a status. */
export const http = httpJson;
