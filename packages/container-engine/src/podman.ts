import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { createReadStream, existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join, posix, resolve } from 'node:path';
import { promisify } from 'node:util';
import type Dockerode from 'dockerode';
import type { EngineConnection } from './docker-host.js';
import { Docker } from './dockerode.js';

const run = promisify(execFile);

/**
 * Podman serving the Docker Engine API where no Docker daemon runs: `runc` (crun fails on hybrid
 * cgroups), `cgroupfs`, bounded ulimits, images built locally with
 * `podman import` (no registry is reachable). Used by the tests, the gateway benchmark and
 * `atb up --runtime docker`.
 */
export const PODMAN_CONTAINERS_CONF = `# written by @atb/container-engine podman.ts (runc and cgroupfs: crun fails on hybrid cgroups)
[containers]
default_ulimits = ["nofile=1024:1024", "nproc=1024:1024"]

[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
`;

/** The near-empty root image every Node container runs on (host `/usr` mounted read-only). */
export const NODE_BASE_IMAGE = 'localhost/atb-node-base:latest';

/** `undefined` when `podman` and `runc` are installed and runnable, otherwise why not. */
export async function probePodman(): Promise<string | undefined> {
  for (const binary of ['podman', 'runc']) {
    try {
      await run(binary, ['--version'], { timeout: 10_000 });
    } catch (error) {
      return `${binary} --version failed: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}`;
    }
  }
  return undefined;
}

export interface PodmanEngine extends EngineConnection {
  /** `unix:///…/podman.sock`: what to put in `DOCKER_HOST`. */
  dockerHost: string;
  socketPath: string;
  /** A dockerode client for the socket. */
  docker: Dockerode;
  /** The containers.conf the service runs with (set `CONTAINERS_CONF` to it for podman CLI calls). */
  containersConf: string;
  /** Stops the service this process started (SIGTERM; SIGKILL after 2 s of in-flight requests). Containers keep running: remove them first. */
  close(): Promise<void>;
}

export interface StartPodmanOptions {
  /**
   * Where the socket and containers.conf live. Default: a fresh temporary directory per process.
   * If a socket there already answers it is reused (and `close()` leaves it running).
   */
  directory?: string;
  /**
   * Seconds without any API connection after which the service exits by itself, a second safety
   * net (besides dying with this process) so a killed test process never leaves one behind.
   * 0 = never, and the service may outlive this process (what `atb up` uses). Default 900.
   */
  idleTimeoutSeconds?: number;
}

let current: Promise<PodmanEngine> | undefined;

const SETPRIV = '/usr/bin/setpriv';

/**
 * Starts (or reuses, if its socket already answers) one podman API service per process;
 * idempotent: later calls return the same engine while its socket answers.
 *
 * @example
 * const engine = await startPodman();
 * const image = await ensureNodeBaseImage(engine);
 * const container = await runNodeContainer(engine, { name: 'demo-1a2b', appDirectory: dir, script: 'server.mjs' });
 * // DOCKER_HOST=engine.dockerHost for anything speaking the Docker Engine API
 */
export async function startPodman(options: StartPodmanOptions = {}): Promise<PodmanEngine> {
  if (options.directory === undefined && current) {
    const engine = await current.catch(() => undefined);
    if (engine && (await socketAnswers(engine.socketPath))) return engine;
  }
  const starting = launchPodman(options);
  if (options.directory === undefined) current = starting;
  return starting;
}

async function launchPodman(options: StartPodmanOptions): Promise<PodmanEngine> {
  const directory = options.directory ? resolve(options.directory) : mkdtempSync(join(tmpdir(), 'atb-podman-'));
  mkdirSync(directory, { recursive: true });
  const socketPath = join(directory, 'podman.sock');
  const containersConf = join(directory, 'containers.conf');
  const dockerHost = `unix://${socketPath}`;
  const docker = new Docker({ socketPath });
  writeFileSync(containersConf, PODMAN_CONTAINERS_CONF);
  if (await socketAnswers(socketPath)) {
    return { dockerHost, socketPath, docker, containersConf, close: async () => {} };
  }
  rmSync(socketPath, { force: true });
  const idle = options.idleTimeoutSeconds ?? 900;
  const service = ['podman', 'system', 'service', `--time=${idle}`, dockerHost];
  // With util-linux's setpriv the service gets SIGTERM when this process dies, however it dies
  // (a test worker killed by its runner runs no exit handlers).
  const command = idle > 0 && existsSync(SETPRIV) ? [SETPRIV, '--pdeathsig', 'SIGTERM', ...service] : service;
  const child = spawn(command[0]!, command.slice(1), {
    // conmon writes files such as `oom` into its working directory: keep them in ours.
    cwd: directory,
    env: { ...process.env, CONTAINERS_CONF: containersConf },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4000);
  });
  const killOnExit = () => child.kill('SIGTERM');
  process.once('exit', killOnExit);
  const exited = new Promise<void>((resolveExit) => child.once('exit', () => resolveExit()));

  const deadline = Date.now() + 20_000;
  while (!(await socketAnswers(socketPath))) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`podman system service exited (${child.exitCode ?? child.signalCode}): ${stderr.trim()}`);
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`podman system service did not answer on ${dockerHost} within 20 s: ${stderr.trim()}`);
    }
    await sleep(50);
  }
  const owned = options.directory === undefined;
  return {
    dockerHost,
    socketPath,
    docker,
    containersConf,
    close: () => stopService(child, exited, killOnExit, owned ? directory : undefined),
  };
}

async function stopService(
  child: ChildProcess,
  exited: Promise<void>,
  killOnExit: () => void,
  directoryToRemove: string | undefined,
): Promise<void> {
  process.removeListener('exit', killOnExit);
  if (child.exitCode === null && child.signalCode === null) {
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 2000);
    await exited;
    clearTimeout(timer);
  }
  if (directoryToRemove) rmSync(directoryToRemove, { recursive: true, force: true });
}

/** Whether a Docker Engine API answers `GET /_ping` on the unix socket within 2 s. */
export function socketAnswers(socketPath: string): Promise<boolean> {
  return new Promise((resolveAnswer) => {
    const request = httpRequest({ socketPath, path: '/_ping', method: 'GET', timeout: 2000 }, (response) => {
      response.resume();
      resolveAnswer(response.statusCode === 200);
    });
    request.on('timeout', () => request.destroy());
    request.on('error', () => resolveAnswer(false));
    request.end();
  });
}

const imagesBuilt = new Map<string, Promise<string>>();

/**
 * Builds (once; cached by tag) the near-empty root image; returns its name
 * (`localhost/atb-node-base:latest`). The root holds only `etc/passwd`, `etc/group`, empty
 * `tmp proc sys dev app usr` and the links `bin lib lib64 sbin → usr/…`; containers get the
 * host's `/usr` read-only, so the host's Node runs inside.
 */
export async function ensureNodeBaseImage(engine: EngineConnection, tag = NODE_BASE_IMAGE): Promise<string> {
  let building = imagesBuilt.get(tag);
  if (!building) {
    building = buildNodeBaseImage(engine, tag);
    imagesBuilt.set(tag, building);
    building.catch(() => imagesBuilt.delete(tag));
  }
  return building;
}

async function buildNodeBaseImage(engine: EngineConnection, tag: string): Promise<string> {
  try {
    await engine.docker.getImage(tag).inspect();
    return tag;
  } catch {
    // not there yet: build it
  }
  const work = mkdtempSync(join(tmpdir(), 'atb-node-base-'));
  try {
    const root = join(work, 'root');
    for (const directory of ['etc', 'tmp', 'proc', 'sys', 'dev', 'app', 'usr', 'root']) {
      mkdirSync(join(root, directory), { recursive: true });
    }
    writeFileSync(join(root, 'etc', 'passwd'), 'root:x:0:0:root:/root:/usr/sbin/nologin\nnobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n');
    writeFileSync(join(root, 'etc', 'group'), 'root:x:0:\nnogroup:x:65534:\n');
    for (const link of ['bin', 'lib', 'lib64', 'sbin']) symlinkSync(`usr/${link}`, join(root, link));
    const tarball = join(work, 'root.tar');
    await run('tar', ['-C', root, '-cf', tarball, '.'], { timeout: 30_000 });
    // The Engine API's import (`POST /images/create?fromSrc=-`): the same on Docker and Podman.
    const [repository, version = 'latest'] = splitTag(tag);
    const progress = await engine.docker.importImage(createReadStream(tarball) as never, { repo: repository, tag: version } as never);
    let output = '';
    for await (const chunk of progress as unknown as AsyncIterable<Buffer>) output += chunk.toString();
    if (/"error"/.test(output)) throw new Error(`importing ${tag} failed: ${output.slice(0, 500)}`);
    await engine.docker.getImage(tag).inspect();
    return tag;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/**
 * Builds `tag` from a Dockerfile (no other context) through the Engine API's build; returns
 * the image id. Used by tests that need several versions of an image, e.g. `FROM` the node base
 * image with a different `ENV`.
 */
export async function buildImage(engine: EngineConnection, tag: string, dockerfile: string): Promise<string> {
  const work = mkdtempSync(join(tmpdir(), 'atb-build-'));
  try {
    writeFileSync(join(work, 'Dockerfile'), dockerfile);
    await run('tar', ['-C', work, '-cf', join(work, 'context.tar'), 'Dockerfile'], { timeout: 30_000 });
    const progress = await engine.docker.buildImage(createReadStream(join(work, 'context.tar')) as never, { t: tag });
    let output = '';
    for await (const chunk of progress as unknown as AsyncIterable<Buffer>) output += chunk.toString();
    if (/"error"/.test(output)) throw new Error(`building ${tag} failed: ${output.slice(-500)}`);
    return (await engine.docker.getImage(tag).inspect()).Id;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

export interface NodeContainerOptions {
  name: string;
  /** Host directory mounted read-only at /app. */
  appDirectory: string;
  /** Path inside /app of the script Node runs. */
  script: string;
  args?: string[];
  env?: Record<string, string>;
  labels?: Record<string, string>;
  /** Extra host directories to mount (host → container), read-only unless `readOnly: false`. */
  mounts?: { source: string; target: string; readOnly?: boolean }[];
  /** Remove an existing container of the same name first (default false: creating fails with 409). */
  replace?: boolean;
  /** Seconds `docker stop` waits before SIGKILL (default 10). */
  stopTimeoutSeconds?: number;
}

export interface NodeContainer {
  id: string;
  name: string;
  /** Force-removes the container (stopping it); a container already gone is fine. */
  remove(): Promise<void>;
}

/**
 * The bind mounts that let a container run this process' own Node binary (`process.execPath`):
 * /usr read-only and, when Node lives outside /usr (a version under .data/node-versions), its
 * installation directory at the same path.
 */
export function hostNodeBinds(): string[] {
  const binds = ['/usr:/usr:ro'];
  const nodePrefix = dirname(dirname(process.execPath));
  if (!process.execPath.startsWith('/usr/')) binds.push(`${nodePrefix}:${nodePrefix}:ro`);
  return binds;
}

/**
 * Creates and starts a host-network container running `node /app/<script>` with /usr mounted
 * read-only (and, when Node lives outside /usr, its installation directory too).
 */
export async function runNodeContainer(engine: EngineConnection, options: NodeContainerOptions): Promise<NodeContainer> {
  const image = await ensureNodeBaseImage(engine);
  if (options.replace) await removeContainer(engine.docker, options.name);
  const binds = [...hostNodeBinds(), `${resolve(options.appDirectory)}:/app:ro`];
  for (const mount of options.mounts ?? []) {
    binds.push(`${resolve(mount.source)}:${mount.target}:${mount.readOnly === false ? 'rw' : 'ro'}`);
  }
  const container = await engine.docker.createContainer({
    name: options.name,
    Image: image,
    Cmd: [process.execPath, posix.join('/app', options.script), ...(options.args ?? [])],
    WorkingDir: '/app',
    Env: Object.entries(options.env ?? {}).map(([key, value]) => `${key}=${value}`),
    Labels: options.labels ?? {},
    StopTimeout: options.stopTimeoutSeconds ?? 10,
    HostConfig: { NetworkMode: 'host', Binds: binds, Init: false },
  });
  try {
    await container.start();
  } catch (error) {
    await removeContainer(engine.docker, options.name);
    throw error;
  }
  return { id: container.id, name: options.name, remove: () => removeContainer(engine.docker, options.name) };
}

function splitTag(tag: string): [string, string | undefined] {
  const colon = tag.lastIndexOf(':');
  return colon > tag.lastIndexOf('/') ? [tag.slice(0, colon), tag.slice(colon + 1)] : [tag, undefined];
}

async function removeContainer(docker: Dockerode, name: string): Promise<void> {
  try {
    await docker.getContainer(name).remove({ force: true });
  } catch (error) {
    if ((error as { statusCode?: number }).statusCode !== 404) throw error;
  }
}

function sleep(milliseconds: number): Promise<void> {
  return new Promise((resolveSleep) => setTimeout(resolveSleep, milliseconds));
}
