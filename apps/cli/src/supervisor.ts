import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import pc from 'picocolors';
import { colourFor, formatLogLine } from './output.js';

export interface ProcessSpec {
  name: string;
  /** Script run with this same Node binary; never through a shell. */
  script: string;
  cwd: string;
  env: NodeJS.ProcessEnv;
}

export interface SupervisedProcess {
  spec: ProcessSpec;
  child: ChildProcess;
  exited: Promise<number | null>;
}

/**
 * Starts child processes, prefixes their output with a coloured name, reports any exit
 * loudly (nothing is restarted silently) and stops them all on request.
 */
export class Supervisor {
  readonly processes = new Map<string, SupervisedProcess>();
  private stopping = false;

  constructor(private readonly write: (line: string) => void = (line) => process.stdout.write(`${line}\n`)) {}

  start(spec: ProcessSpec): SupervisedProcess {
    const child = spawn(process.execPath, [spec.script], {
      cwd: spec.cwd,
      env: spec.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const label = colourFor(spec.name)(spec.name.padEnd(17));
    for (const stream of [child.stdout, child.stderr]) {
      if (!stream) continue;
      createInterface({ input: stream }).on('line', (line) => this.write(`${label}│ ${formatLogLine(line)}`));
    }
    const exited = new Promise<number | null>((resolve) => {
      child.on('exit', (code, signal) => {
        if (!this.stopping) {
          this.write(
            pc.red(
              `${label}│ exited unexpectedly (${signal ? `signal ${signal}` : `code ${code}`}); not restarted — the other services keep running`,
            ),
          );
        }
        resolve(code);
      });
      child.on('error', (error) => {
        this.write(pc.red(`${label}│ could not start: ${error.message}`));
        resolve(null);
      });
    });
    const supervised = { spec, child, exited };
    this.processes.set(spec.name, supervised);
    return supervised;
  }

  /** SIGTERM to every child; SIGKILL to any still running after `graceMs`. */
  async stopAll(graceMs = 12_000): Promise<void> {
    this.stopping = true;
    await Promise.all(
      [...this.processes.values()].map(async ({ spec, child, exited }) => {
        if (child.exitCode !== null || child.signalCode !== null) return;
        child.kill('SIGTERM');
        const timer = setTimeout(() => {
          this.write(pc.red(`${spec.name} did not stop within ${graceMs} ms: killing`));
          child.kill('SIGKILL');
        }, graceMs);
        await exited;
        clearTimeout(timer);
        this.write(`${colourFor(spec.name)(spec.name.padEnd(17))}│ ${pc.dim('stopped')}`);
      }),
    );
  }
}
