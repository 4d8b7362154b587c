import { type ChildProcess, spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { freePort } from './free-port.js';
import { waitFor } from './wait-for.js';

const REPOSITORY_ROOT = resolve(import.meta.dirname, '../../..');

/**
 * The test process' NODE_OPTIONS, passed on to a service started with a minimal environment: on
 * another Node (scripts/test-node-versions.sh) it carries the preload that loads the native
 * modules built for that Node.
 */
function inheritedNodeOptions(): Record<string, string> {
  return process.env.NODE_OPTIONS ? { NODE_OPTIONS: process.env.NODE_OPTIONS } : {};
}

/** A service started as its own process from source, listening on a free loopback port. */
export interface ServiceProcess {
  url: string;
  child: ChildProcess;
  /** Resolves with the exit code (or signal) once the process is gone. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** The last 20,000 characters it printed (stdout and stderr). */
  output(): string;
  /** SIGKILLs the process if it still runs (a crash: no graceful shutdown) and waits until it is gone. */
  kill(): Promise<void>;
}

/**
 * Starts `entry` (a `src/main.ts`, relative to the repository root) the way `npm start` runs
 * `dist/src/main.js`, but from source (workspace packages resolve to `src/` through the
 * `@atb/source` condition), with a minimal environment plus `environment`, and waits until
 * `/health` answers. A process that exits first, or never answers, fails with its output.
 *
 * @example
 * const predictor = await startServiceProcess('apps/market-predictor/src/main.ts', { CHAOS_ENABLED: 'true' });
 */
export async function startServiceProcess(entry: string, environment: Record<string, string> = {}): Promise<ServiceProcess> {
  const port = await freePort();
  const child = spawn(process.execPath, ['--conditions=@atb/source', '--import', 'tsx', entry], {
    cwd: REPOSITORY_ROOT,
    env: { ...inheritedNodeOptions(), PATH: process.env.PATH ?? '/usr/bin:/bin', API_HOST: '127.0.0.1', API_PORT: String(port), LOG_LEVEL: 'warn', ...environment },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const collect = (chunk: Buffer) => {
    output = (output + chunk.toString('utf8')).slice(-20_000);
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((done) =>
    child.once('exit', (code, signal) => done({ code, signal })),
  );
  const url = `http://127.0.0.1:${port}`;
  const kill = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await exited;
  };
  try {
    const state = await waitFor(
      async () => {
        if (child.exitCode !== null) return 'exited';
        const response = await fetch(`${url}/health`, { signal: AbortSignal.timeout(1000) }).catch(() => undefined);
        return response?.ok ? 'ready' : false;
      },
      // Generous: several processes compiling their sources at once on a loaded machine.
      { timeoutMs: 90_000, intervalMs: 100, description: `${entry} at ${url}` },
    );
    if (state === 'exited') throw new Error(`${entry} exited with status ${child.exitCode}`);
  } catch (error) {
    await kill();
    throw new Error(`${(error as Error).message}\n${output}`);
  }
  return { url, child, exited, output: () => output, kill };
}
