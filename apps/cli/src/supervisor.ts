import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import pc from 'picocolors';
import { type SupervisorEventInput, SupervisorEvents } from './control-events.js';
import { LineRing } from './control-line-ring.js';
import { colourFor, formatLogLine } from './output.js';

export interface ProcessSpec {
  name: string;
  /** Script run with this same Node binary; never through a shell. */
  script: string;
  args?: string[];
  cwd: string;
  env: NodeJS.ProcessEnv;
  /** Shown by the process runtime's `list`/`inspect`, like a container's labels. */
  labels?: Record<string, string>;
}

export interface SupervisedProcess {
  spec: ProcessSpec;
  child: ChildProcess;
  exited: Promise<number | null>;
  startedAt: Date;
  finishedAt?: Date;
  restartCount: number;
  /** Recent output lines (stdout and stderr), bounded. */
  lines: LineRing;
  /** Set when the supervisor itself stopped the process (stop, restart, stopAll). */
  expectedExit: boolean;
}

/** One process as the control API shows it (the Docker vocabulary: `running` / `exited`). */
export interface ProcessDescription {
  id: string;
  name: string;
  image: string;
  state: 'running' | 'exited';
  status: string;
  labels: Record<string, string>;
  started_at: string;
  restart_count: number;
  pid?: number;
  exit_code?: number;
}

export interface ControlOptions {
  /** Who asked, printed on the supervisor's output (e.g. `command-gateway`). */
  actor?: string;
  /** Seconds to wait after SIGTERM before SIGKILL; default 10. */
  timeoutSeconds?: number;
}

/** Thrown when no supervised process has the name. */
export class UnknownProcessError extends Error {
  constructor(readonly processName: string) {
    super(`no supervised process named "${processName}"`);
    this.name = 'UnknownProcessError';
  }
}

/** Lines kept per process for `logs` (the gateway's maximum tail). */
export const LOG_LINES_KEPT = 5000;

/**
 * Starts child processes, prefixes their output with a coloured name, reports any exit
 * loudly (nothing is restarted silently) and stops them all on request. `restart`, `stop` and
 * `startAgain` serve the control API (the gateway's process runtime); each prints who asked.
 */
export class Supervisor {
  readonly processes = new Map<string, SupervisedProcess>();
  /** Lifecycle events of the processes, for the control API's `GET /v1/events`. */
  readonly events = new SupervisorEvents();
  private stopping = false;
  private readonly queues = new Map<string, Promise<unknown>>();

  constructor(private readonly write: (line: string) => void = (line) => process.stdout.write(`${line}\n`)) {}

  start(spec: ProcessSpec): SupervisedProcess {
    const existing = this.processes.get(spec.name);
    if (existing && isRunning(existing.child)) throw new Error(`${spec.name} is already running (pid ${existing.child.pid})`);
    const child = spawn(process.execPath, [spec.script, ...(spec.args ?? [])], {
      cwd: spec.cwd,
      env: spec.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const label = this.label(spec.name);
    const lines = existing?.lines ?? new LineRing(LOG_LINES_KEPT);
    for (const stream of [child.stdout, child.stderr]) {
      if (!stream) continue;
      createInterface({ input: stream }).on('line', (line) => {
        lines.push(line);
        this.write(`${label}│ ${formatLogLine(line)}`);
      });
    }
    const supervised: SupervisedProcess = {
      spec,
      child,
      exited: Promise.resolve(null),
      startedAt: new Date(),
      restartCount: existing?.restartCount ?? 0,
      lines,
      expectedExit: false,
    };
    supervised.exited = new Promise<number | null>((resolve) => {
      child.on('exit', (code, signal) => {
        supervised.finishedAt = new Date();
        this.recordEvent(spec, 'container-died', { exit_code: code ?? (signal ? 128 + signalNumber(signal) : -1) });
        if (!this.stopping && !supervised.expectedExit) {
          this.write(
            pc.red(
              `${label}│ exited unexpectedly (${signal ? `signal ${signal}` : `code ${code}`}); not restarted — the other services keep running`,
            ),
          );
        }
        resolve(code);
      });
      child.on('error', (error) => {
        supervised.finishedAt = new Date();
        this.write(pc.red(`${label}│ could not start: ${error.message}`));
        resolve(null);
      });
    });
    this.processes.set(spec.name, supervised);
    if (child.pid !== undefined) this.recordEvent(spec, 'container-started');
    return supervised;
  }

  /** SIGTERM, wait up to `timeoutSeconds`, then start again with the same spec. */
  restart(name: string, options: ControlOptions = {}): Promise<ProcessDescription> {
    return this.serialised(name, async () => {
      const current = this.get(name);
      const previousPid = current.child.pid;
      await this.terminate(current, (options.timeoutSeconds ?? 10) * 1000);
      const next = this.start(current.spec);
      next.restartCount = current.restartCount + 1;
      this.recordEvent(current.spec, 'container-restarted');
      this.write(
        pc.yellow(
          `${this.label(name)}│ restarted by ${options.actor ?? 'the control API'} (pid ${previousPid ?? '-'} → ${next.child.pid ?? '-'})`,
        ),
      );
      return this.describe(name);
    });
  }

  /** SIGTERM (SIGKILL after `timeoutSeconds`); a stopped process stays stopped. */
  stop(name: string, options: ControlOptions = {}): Promise<ProcessDescription> {
    return this.serialised(name, async () => {
      const current = this.get(name);
      if (isRunning(current.child)) {
        await this.terminate(current, (options.timeoutSeconds ?? 10) * 1000);
        this.recordEvent(current.spec, 'container-stopped');
        this.write(pc.yellow(`${this.label(name)}│ stopped by ${options.actor ?? 'the control API'}`));
      }
      return this.describe(name);
    });
  }

  /** Starts a stopped or exited process again with its spec; a running one is left alone. */
  startAgain(name: string, options: ControlOptions = {}): Promise<ProcessDescription> {
    return this.serialised(name, async () => {
      const current = this.get(name);
      if (!isRunning(current.child)) {
        this.start(current.spec);
        this.write(pc.yellow(`${this.label(name)}│ started by ${options.actor ?? 'the control API'}`));
      }
      return this.describe(name);
    });
  }

  list(): ProcessDescription[] {
    return [...this.processes.keys()].map((name) => this.describe(name));
  }

  describe(name: string): ProcessDescription {
    const supervised = this.get(name);
    const { child, spec } = supervised;
    const running = isRunning(child);
    const description: ProcessDescription = {
      id: `process-${spec.name}`,
      name: spec.name,
      image: spec.script,
      state: running ? 'running' : 'exited',
      status: running
        ? `Up since ${supervised.startedAt.toISOString()}`
        : `Exited (${child.exitCode ?? child.signalCode ?? 'unknown'}) at ${(supervised.finishedAt ?? supervised.startedAt).toISOString()}`,
      labels: spec.labels ?? {},
      started_at: supervised.startedAt.toISOString(),
      restart_count: supervised.restartCount,
    };
    if (running && child.pid !== undefined) description.pid = child.pid;
    if (!running) description.exit_code = child.exitCode ?? (child.signalCode ? 128 + signalNumber(child.signalCode) : -1);
    return description;
  }

  /** The last `tail` output lines of the process (across restarts). */
  logs(name: string, tail: number): string[] {
    return this.get(name).lines.last(tail);
  }

  get(name: string): SupervisedProcess {
    const supervised = this.processes.get(name);
    if (!supervised) throw new UnknownProcessError(name);
    return supervised;
  }

  /** SIGTERM to every child; SIGKILL to any still running after `graceMs`. */
  async stopAll(graceMs = 12_000): Promise<void> {
    this.stopping = true;
    await Promise.all(
      [...this.processes.values()].map(async (supervised) => {
        if (!isRunning(supervised.child)) return;
        await this.terminate(supervised, graceMs);
        this.write(`${this.label(supervised.spec.name)}│ ${pc.dim('stopped')}`);
      }),
    );
  }

  private async terminate(supervised: SupervisedProcess, graceMs: number): Promise<void> {
    const { child, spec, exited } = supervised;
    if (!isRunning(child)) return;
    supervised.expectedExit = true;
    child.kill('SIGTERM');
    const timer = setTimeout(() => {
      this.write(pc.red(`${spec.name} did not stop within ${graceMs} ms: killing`));
      child.kill('SIGKILL');
    }, graceMs);
    await exited;
    clearTimeout(timer);
  }

  /** One control operation per process at a time, in arrival order. */
  private serialised<T>(name: string, operation: () => Promise<T>): Promise<T> {
    const previous = this.queues.get(name) ?? Promise.resolve();
    const next = previous
      .catch(() => {})
      .then(() => {
        if (this.stopping) throw new Error(`the stack is stopping: ${name} is not touched`);
        return operation();
      });
    this.queues.set(name, next);
    return next;
  }

  private recordEvent(spec: ProcessSpec, type: SupervisorEventInput['type'], extra: { exit_code?: number } = {}): void {
    this.events.record({ type, target: spec.name, container_id: `process-${spec.name}`, labels: spec.labels ?? {}, ...extra });
  }

  private label(name: string): string {
    return colourFor(name)(name.padEnd(17));
  }
}

function isRunning(child: ChildProcess): boolean {
  return child.pid !== undefined && child.exitCode === null && child.signalCode === null;
}

const SIGNAL_NUMBERS: Record<string, number> = { SIGHUP: 1, SIGINT: 2, SIGQUIT: 3, SIGKILL: 9, SIGSEGV: 11, SIGTERM: 15 };

function signalNumber(signal: NodeJS.Signals): number {
  return SIGNAL_NUMBERS[signal] ?? 0;
}
