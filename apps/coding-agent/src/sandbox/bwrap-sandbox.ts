import { spawn } from 'node:child_process';
import { existsSync, lstatSync, readlinkSync } from 'node:fs';
import { mkdtemp, realpath, rm } from 'node:fs/promises';
import { constants, tmpdir } from 'node:os';
import { join } from 'node:path';
import { type CgroupParent, findCgroupParent, MemoryCgroup } from './memory-cgroup.js';
import { ProcessTermination } from './process-termination.js';
import type { Sandbox, SandboxResult, SandboxRunOptions } from './sandbox.js';
import { validateRunOptions } from './run-options.js';

/** Bytes of stdout and of stderr kept when the caller does not say. */
export const DEFAULT_OUTPUT_LIMIT_BYTES = 256 * 1024;
/** Largest single file a sandboxed command may write when the caller does not say. */
export const DEFAULT_FILE_SIZE_LIMIT_BYTES = 1024 ** 3;

/** Read-only pieces of the host's `/etc` that node, npm and git need; the rest stays hidden. */
export const SANDBOX_ETC_PATHS = [
  '/etc/passwd',
  '/etc/group',
  '/etc/hosts',
  '/etc/nsswitch.conf',
  '/etc/alternatives',
  '/etc/ssl',
  '/etc/ca-certificates',
  '/etc/localtime',
  '/etc/gitconfig',
];

export interface BwrapSandboxOptions {
  /** The bubblewrap binary; default `bwrap` on PATH. */
  bwrapPath?: string;
  /** util-linux `prlimit`, which sets the memory, file-size and core limits; default `prlimit`. */
  prlimitPath?: string;
  /** Size of the private `/tmp` (also `HOME`) inside the sandbox; default 256 MiB. */
  tmpSizeBytes?: number;
  /** Default for `SandboxRunOptions.fileSizeLimitBytes`; default 1 GiB. */
  fileSizeLimitBytes?: number;
  /** Host paths mounted read-only in every run, e.g. a shared `node_modules`; default none. */
  readOnlyPaths?: string[];
  /** `PATH` inside the sandbox; default `/usr/local/bin:/usr/bin:/bin`. */
  path?: string;
  /**
   * Also limit the memory of the whole process tree with a cgroup per run, when this process
   * may create one (root, or a delegated cgroup v2 subtree); default true. Without it the
   * memory limit is RLIMIT_DATA per process only.
   */
  memoryCgroup?: boolean;
  /** Most processes a run may have, where the run's cgroup has the pids controller; default 512. */
  pidsLimit?: number;
}

/**
 * The default sandbox: bubblewrap with every namespace unshared (network: loopback only), no
 * capabilities, a read-only root built from the host's `/usr` and a few `/etc` files, a private
 * size-limited `/tmp`, the workspace as the only writable host path, a cleared environment, and
 * limits set with `prlimit` before bwrap starts: RLIMIT_DATA (memory per process), RLIMIT_FSIZE
 * (largest file), RLIMIT_CORE=0; and, where this process may create cgroups (root here), a memory
 * cgroup per run that limits the whole process tree and reports OOM kills. The workspace's `.git` is mounted read-only. On timeout or abort the process group is killed with SIGKILL; bwrap's
 * `--die-with-parent` and PID namespace then take the whole process tree with it.
 * See `docs/decisions/002-sandbox.md`.
 *
 * @example
 * const sandbox = new BwrapSandbox();
 * const result = await sandbox.run({ workspace, command: ['npm', 'test'], timeoutMs: 600_000, memoryBytes: 2 * 1024 ** 3 });
 */
export class BwrapSandbox implements Sandbox {
  readonly kind = 'bubblewrap';
  private availability: Promise<string | undefined> | undefined;
  private cgroupParent: Promise<CgroupParent | undefined> | undefined;

  constructor(private readonly options: BwrapSandboxOptions = {}) {}

  available(): Promise<string | undefined> {
    this.availability ??= this.probe();
    return this.availability;
  }

  private async probe(): Promise<string | undefined> {
    const workspace = await mkdtemp(join(tmpdir(), 'atb-bwrap-probe-'));
    try {
      const result = await this.run({ workspace, command: ['true'], timeoutMs: 10_000, memoryBytes: 256 * 1024 ** 2 });
      if (result.exitCode === 0) return undefined;
      return `bwrap exited with ${result.exitCode ?? result.signal}: ${result.stderr.trim()}`;
    } catch (error) {
      return `bwrap could not start: ${(error as Error).message}`;
    } finally {
      await rm(workspace, { recursive: true, force: true });
    }
  }

  /**
   * `tree` when each run gets a memory cgroup (the limit holds for all its processes together),
   * `process` when only RLIMIT_DATA applies (each process on its own).
   */
  async memoryScope(): Promise<'tree' | 'process'> {
    return (await this.findCgroupParent()) ? 'tree' : 'process';
  }

  /** Whether runs get a process-count limit (a pids cgroup); without one only the time limit stops a fork bomb. */
  async limitsProcesses(): Promise<boolean> {
    return (await this.findCgroupParent())?.pidsPath !== undefined;
  }

  private findCgroupParent(): Promise<CgroupParent | undefined> {
    if (this.options.memoryCgroup === false) return Promise.resolve(undefined);
    this.cgroupParent ??= findCgroupParent();
    return this.cgroupParent;
  }

  /** The bwrap arguments for one run (before `--` and the command). Exposed for tests and docs. */
  bwrapArguments(workspace: string, cwd: string, env: Record<string, string>, readOnlyPaths: string[]): string[] {
    const args = ['--unshare-all', '--unshare-user', '--disable-userns', '--cap-drop', 'ALL'];
    args.push('--die-with-parent', '--new-session', '--hostname', 'sandbox');
    args.push('--ro-bind', '/usr', '/usr');
    for (const name of ['bin', 'sbin', 'lib', 'lib32', 'lib64', 'libx32']) {
      const host = `/${name}`;
      if (!existsSync(host)) continue;
      const entry = lstatSync(host);
      if (entry.isSymbolicLink()) args.push('--symlink', readlinkSync(host), host);
      else if (entry.isDirectory()) args.push('--ro-bind', host, host);
    }
    for (const path of SANDBOX_ETC_PATHS) if (existsSync(path)) args.push('--ro-bind', path, path);
    args.push('--proc', '/proc', '--dev', '/dev');
    const tmpSize = String(this.options.tmpSizeBytes ?? 256 * 1024 ** 2);
    args.push('--size', tmpSize, '--tmpfs', '/dev/shm', '--remount-ro', '/dev');
    args.push('--size', tmpSize, '--tmpfs', '/tmp');
    args.push('--bind', workspace, workspace);
    for (const path of readOnlyPaths) args.push('--ro-bind', path, path);
    args.push('--remount-ro', '/', '--chdir', cwd, '--clearenv');
    for (const [name, value] of Object.entries(env)) args.push('--setenv', name, value);
    return args;
  }

  async run(options: SandboxRunOptions): Promise<SandboxResult> {
    const { workspace, cwd } = await validateRunOptions(options);
    const readOnlyPaths: string[] = [];
    for (const path of [...(this.options.readOnlyPaths ?? []), ...(options.readOnlyPaths ?? [])]) {
      readOnlyPaths.push(await realpath(path));
    }
    // The agent runs git on the workspace outside the sandbox: hooks or config planted in .git
    // would run there. The sandbox sees .git read-only.
    if (existsSync(join(workspace, '.git'))) readOnlyPaths.push(join(workspace, '.git'));
    const env: Record<string, string> = {
      PATH: this.options.path ?? '/usr/local/bin:/usr/bin:/bin',
      HOME: '/tmp',
      TMPDIR: '/tmp',
      LANG: 'C.UTF-8',
      CI: 'true',
      ...options.env,
    };
    const fileSizeLimit = options.fileSizeLimitBytes ?? this.options.fileSizeLimitBytes ?? DEFAULT_FILE_SIZE_LIMIT_BYTES;
    const limits = [
      `--data=${Math.floor(options.memoryBytes)}`,
      `--fsize=${Math.floor(fileSizeLimit)}`,
      '--core=0',
    ];
    const bwrap = this.options.bwrapPath ?? 'bwrap';
    const argv = [...limits, '--', bwrap, ...this.bwrapArguments(workspace, cwd, env, readOnlyPaths), '--', ...options.command];
    const parent = await this.findCgroupParent();
    const pidsLimit = this.options.pidsLimit ?? 512;
    const cgroup = parent ? await MemoryCgroup.create(parent, options.memoryBytes, pidsLimit).catch(() => undefined) : undefined;
    const prlimit = this.options.prlimitPath ?? 'prlimit';
    // With a cgroup, a shell joins it first and then execs prlimit: nothing starts outside it.
    const [program, programArguments] = cgroup ? ['/bin/sh', cgroup.launcher(prlimit, argv)] : [prlimit, argv];
    const started = performance.now();
    const child = spawn(program, programArguments as string[], {
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { PATH: '/usr/local/bin:/usr/bin:/bin' },
    });
    const termination = new ProcessTermination(options, workspace, options.outputLimitBytes ?? DEFAULT_OUTPUT_LIMIT_BYTES, () => {
      if (child.pid !== undefined) {
        try {
          process.kill(-child.pid, 'SIGKILL');
        } catch {
          // already gone
        }
      }
    });
    child.stdout.on('data', (chunk: Buffer) => termination.stdout.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => termination.stderr.push(chunk));
    let oomKills = 0;
    const outcome = await new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve, reject) => {
      child.once('error', reject);
      child.once('close', (code, signal) => resolve({ code, signal }));
    }).finally(async () => {
      termination.stop();
      if (cgroup) {
        oomKills = await cgroup.outOfMemoryKills();
        await cgroup.remove();
      }
    });
    const exitCode = termination.killed ? null : outcome.code;
    const signal = outcome.signal ?? signalOfExitCode(exitCode);
    const stderr = termination.stderr.text();
    return {
      exitCode,
      signal,
      timedOut: termination.timedOut,
      outOfMemory: !termination.timedOut && (oomKills > 0 || looksOutOfMemory(stderr)),
      stdout: termination.stdout.text(),
      stderr,
      truncatedBytes: termination.stdout.droppedBytes + termination.stderr.droppedBytes,
      durationMs: performance.now() - started,
      diskLimitExceeded: termination.diskLimitExceeded || signal === 'SIGXFSZ' || /\bEFBIG\b|File size limit exceeded|File too large/.test(stderr),
    };
  }
}

/** bwrap (like a shell) reports a command killed by signal N as exit code 128 + N. */
export function signalOfExitCode(exitCode: number | null): string | null {
  if (exitCode === null || exitCode <= 128 || exitCode > 128 + 64) return null;
  const number = exitCode - 128;
  for (const [name, value] of Object.entries(constants.signals)) if (value === number) return name;
  return null;
}

/** Whether the error output says the process ran out of memory (the kernel gives no flag for RLIMIT_DATA). */
export function looksOutOfMemory(stderr: string): boolean {
  return /heap out of memory|Allocation failed|Cannot allocate memory|ENOMEM|std::bad_alloc|MemoryError|out of memory/i.test(stderr);
}

