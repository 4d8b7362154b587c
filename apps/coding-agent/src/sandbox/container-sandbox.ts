import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { realpath } from 'node:fs/promises';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import type Docker from 'dockerode';
import { DEFAULT_FILE_SIZE_LIMIT_BYTES, DEFAULT_OUTPUT_LIMIT_BYTES, looksOutOfMemory, signalOfExitCode } from './bwrap-sandbox.js';
import { ProcessTermination } from './process-termination.js';
import { validateRunOptions } from './run-options.js';
import type { Sandbox, SandboxResult, SandboxRunOptions } from './sandbox.js';

/** Host `/etc` pieces mounted read-only when the host's `/usr` is used (symlinks in /usr/bin point into /etc/alternatives). */
const HOST_ETC_PATHS = ['/etc/alternatives', '/etc/ssl', '/etc/ca-certificates', '/etc/localtime', '/etc/nsswitch.conf'];

export interface ContainerSandboxOptions {
  /** A dockerode client for `DOCKER_HOST` (Docker or Podman). */
  docker: Docker;
  /** Image the command runs in, e.g. `localhost/atb-node-base:latest` (an image with node, git, a shell). */
  image: string;
  /**
   * Mount the host's `/usr` (and the `/etc` pieces it needs) read-only, for a near-empty image
   * such as `@atb/testing`'s node base image. Default false.
   */
  mountHostUsr?: boolean;
  /** Most processes the command may have (`HostConfig.PidsLimit`); default 512. */
  pidsLimit?: number;
  /** Size of the container's private `/tmp` (also `HOME`); default 256 MiB. */
  tmpSizeBytes?: number;
  /** Default for `SandboxRunOptions.fileSizeLimitBytes` (ulimit fsize); default 1 GiB. */
  fileSizeLimitBytes?: number;
  /** Host paths mounted read-only in every run at the same path; default none. */
  readOnlyPaths?: string[];
  /** Prefix of container names (a random suffix is added); default `atb-sandbox`. */
  namePrefix?: string;
}

interface WaitResult {
  StatusCode: number;
}

/** A sink that hands every chunk to `push`. */
function sink(push: (chunk: Buffer) => void): Writable {
  return new Writable({
    write(chunk: Buffer, _encoding, callback) {
      push(chunk);
      callback();
    },
  });
}

/**
 * The sandbox as a container per run, through the Docker Engine API (Docker or Podman): the
 * workspace bind-mounted at its own path (its `.git` read-only), `NetworkMode: none`, a
 * read-only root file system with a size-limited tmpfs `/tmp`, `HostConfig.Memory` (no swap),
 * a pids limit, ulimit fsize, no capabilities, `no-new-privileges`, no log driver (output is
 * read from the attach stream, demultiplexed and bounded, so nothing grows on the host's disk).
 * On timeout the container is killed; it is always removed.
 *
 * @example
 * const sandbox = new ContainerSandbox({ docker: new Docker({ socketPath }), image: 'localhost/atb-node-base:latest', mountHostUsr: true });
 */
export class ContainerSandbox implements Sandbox {
  readonly kind = 'container';

  constructor(private readonly options: ContainerSandboxOptions) {}

  async available(): Promise<string | undefined> {
    try {
      await this.options.docker.ping();
    } catch (error) {
      return `the Docker Engine API does not answer: ${(error as Error).message}`;
    }
    try {
      await this.options.docker.getImage(this.options.image).inspect();
    } catch {
      return `image ${this.options.image} is not present`;
    }
    return undefined;
  }

  private async binds(workspace: string, extra: string[]): Promise<string[]> {
    const binds = [`${workspace}:${workspace}:rw`];
    if (existsSync(join(workspace, '.git'))) binds.push(`${join(workspace, '.git')}:${join(workspace, '.git')}:ro`);
    if (this.options.mountHostUsr) {
      binds.push('/usr:/usr:ro');
      for (const path of HOST_ETC_PATHS) if (existsSync(path)) binds.push(`${path}:${path}:ro`);
    }
    for (const path of [...(this.options.readOnlyPaths ?? []), ...extra]) {
      const real = await realpath(path);
      binds.push(`${real}:${real}:ro`);
    }
    return binds;
  }

  /** The container of one run: no network, read-only root, the workspace its only writable mount, limits stated. */
  private async containerSpec(options: SandboxRunOptions, workspace: string, cwd: string): Promise<Docker.ContainerCreateOptions> {
    const env = { PATH: '/usr/local/bin:/usr/bin:/bin', HOME: '/tmp', TMPDIR: '/tmp', LANG: 'C.UTF-8', CI: 'true', ...options.env };
    const fileSize = Math.floor(options.fileSizeLimitBytes ?? this.options.fileSizeLimitBytes ?? DEFAULT_FILE_SIZE_LIMIT_BYTES);
    const tmpSize = this.options.tmpSizeBytes ?? 256 * 1024 ** 2;
    return {
      name: `${this.options.namePrefix ?? 'atb-sandbox'}-${randomBytes(6).toString('hex')}`,
      Image: this.options.image,
      Cmd: options.command,
      Entrypoint: [],
      WorkingDir: cwd,
      Env: Object.entries(env).map(([name, value]) => `${name}=${value}`),
      User: '0:0',
      AttachStdout: true,
      AttachStderr: true,
      Tty: false,
      OpenStdin: false,
      NetworkDisabled: true,
      Labels: { 'atb.sandbox': 'true' },
      HostConfig: {
        Binds: await this.binds(workspace, options.readOnlyPaths ?? []),
        NetworkMode: 'none',
        ReadonlyRootfs: true,
        Tmpfs: { '/tmp': `rw,nosuid,nodev,size=${tmpSize}` },
        Memory: Math.floor(options.memoryBytes),
        MemorySwap: Math.floor(options.memoryBytes),
        PidsLimit: this.options.pidsLimit ?? 512,
        CapDrop: ['ALL'],
        SecurityOpt: ['no-new-privileges'],
        // Giving any ulimit replaces the engine's defaults; Podman here can then not raise nofile
        // or nproc back (runc: "error setting rlimit … operation not permitted"), so state them.
        Ulimits: [
          { Name: 'nofile', Soft: 1024, Hard: 1024 },
          { Name: 'nproc', Soft: 1024, Hard: 1024 },
          { Name: 'fsize', Soft: fileSize, Hard: fileSize },
          { Name: 'core', Soft: 0, Hard: 0 },
        ],
        LogConfig: { Type: 'none', Config: {} },
        AutoRemove: false,
      },
    };
  }

  async run(options: SandboxRunOptions): Promise<SandboxResult> {
    const { workspace, cwd } = await validateRunOptions(options);
    const docker = this.options.docker;
    const started = performance.now();
    const container = await docker.createContainer(await this.containerSpec(options, workspace, cwd));
    const termination = new ProcessTermination(options, workspace, options.outputLimitBytes ?? DEFAULT_OUTPUT_LIMIT_BYTES, () => {
      container.kill({ signal: 'SIGKILL' }).catch(() => undefined);
    });
    try {
      const stream = (await container.attach({ stream: true, stdout: true, stderr: true, logs: false })) as NodeJS.ReadableStream;
      const ended = new Promise<void>((resolve) => {
        stream.once('end', resolve);
        stream.once('close', resolve);
        stream.once('error', () => resolve());
      });
      docker.modem.demuxStream(
        stream,
        sink((chunk) => termination.stdout.push(chunk)),
        sink((chunk) => termination.stderr.push(chunk)),
      );
      await container.start();
      const waited = (await container.wait()) as WaitResult;
      termination.stop();
      // The attach stream may still hold the last output; never wait on it for long.
      await Promise.race([ended, new Promise((resolve) => setTimeout(resolve, 2_000).unref())]);
      (stream as unknown as { destroy?: () => void }).destroy?.();
      const state = (await container.inspect()).State;
      const exitCode = termination.killed ? null : waited.StatusCode;
      const stderr = termination.stderr.text();
      const signal = termination.killed ? 'SIGKILL' : signalOfExitCode(exitCode);
      return {
        exitCode,
        signal,
        timedOut: termination.timedOut,
        // Podman on cgroup v1 hosts does not always set OOMKilled; a SIGKILL we did not send
        // comes from the kernel's OOM killer enforcing HostConfig.Memory.
        outOfMemory: !termination.killed && (state.OOMKilled === true || signal === 'SIGKILL' || looksOutOfMemory(stderr)),
        stdout: termination.stdout.text(),
        stderr,
        truncatedBytes: termination.stdout.droppedBytes + termination.stderr.droppedBytes,
        durationMs: performance.now() - started,
        diskLimitExceeded: termination.diskLimitExceeded || signal === 'SIGXFSZ' || /\bEFBIG\b|File size limit exceeded|File too large/.test(stderr),
      };
    } finally {
      termination.stop();
      await container.remove({ force: true }).catch(() => undefined);
    }
  }
}
