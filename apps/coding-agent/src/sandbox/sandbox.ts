/**
 * Runs a command for a coding task with no network, no secrets, a read-only system, writes only
 * inside the workspace, and time, memory and output limits. bubblewrap by default; a container
 * through the Docker Engine API as the alternative. Both pass `test/sandbox.contract.ts`.
 */
export interface SandboxRunOptions {
  /** Absolute path of the task's workspace: the only writable place, mounted at the same path. */
  workspace: string;
  /** Program and arguments; never a shell string. (`['sh', '-c', …]` is the caller's explicit choice.) */
  command: string[];
  /** Working directory inside the workspace; default the workspace root. */
  cwd?: string;
  /** Extra environment; the sandbox starts from a clean minimal environment, never the agent's own. */
  env?: Record<string, string>;
  timeoutMs: number;
  /** Memory limit in bytes. */
  memoryBytes: number;
  /** Bytes of stdout and of stderr kept (head and tail); the rest is dropped and counted. */
  outputLimitBytes?: number;
  signal?: AbortSignal;
  /**
   * Largest single file the command may write, in bytes (RLIMIT_FSIZE in bubblewrap; a
   * workspace-size watchdog in both). Default: the sandbox's own default (1 GiB for bubblewrap).
   */
  fileSizeLimitBytes?: number;
  /**
   * The workspace may not grow past this many bytes while the command runs (e.g.
   * `MAX_WORKSPACE_SIZE`); checked by a watchdog about once a second, the command is killed and
   * `diskLimitExceeded` set. Default: no watchdog.
   */
  workspaceLimitBytes?: number;
  /** Extra host paths mounted read-only at the same path (e.g. a shared `node_modules`). */
  readOnlyPaths?: string[];
}

export interface SandboxResult {
  exitCode: number | null;
  signal: string | null;
  timedOut: boolean;
  /** Killed for using too much memory, when the sandbox can tell. */
  outOfMemory: boolean;
  stdout: string;
  stderr: string;
  /** Bytes of output dropped by the output limit. */
  truncatedBytes: number;
  durationMs: number;
  /** Killed because the workspace grew past `workspaceLimitBytes` or a file past `fileSizeLimitBytes`. */
  diskLimitExceeded?: boolean;
}

export interface Sandbox {
  readonly kind: string;
  /** `undefined` when usable here, otherwise why not. */
  available(): Promise<string | undefined>;
  run(options: SandboxRunOptions): Promise<SandboxResult>;
}
