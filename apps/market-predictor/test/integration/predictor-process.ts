import { type ChildProcess, spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { freePort, waitFor } from '@atb/testing';

const REPOSITORY_ROOT = resolve(import.meta.dirname, '../../../..');

/** A market-predictor started as its own process from source (`node --import tsx src/main.ts`). */
export interface PredictorProcess {
  url: string;
  child: ChildProcess;
  /** Resolves with the exit code (or signal) once the process is gone. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  output(): string;
  /** SIGKILLs the process if it still runs. */
  kill(): Promise<void>;
}

/**
 * Starts `apps/market-predictor/src/main.ts` the way `npm start` runs `dist/src/main.js`, but
 * from source (workspace packages resolve to `src/` through the `@atb/source` condition), on
 * a free loopback port, and waits until `/health` answers.
 */
export async function startPredictorProcess(environment: Record<string, string> = {}): Promise<PredictorProcess> {
  const port = await freePort();
  const child = spawn(
    process.execPath,
    ['--conditions=@atb/source', '--import', 'tsx', 'apps/market-predictor/src/main.ts'],
    {
      cwd: REPOSITORY_ROOT,
      env: { PATH: process.env.PATH ?? '', API_HOST: '127.0.0.1', API_PORT: String(port), LOG_LEVEL: 'warn', ...environment },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    output = (output + chunk.toString('utf8')).slice(-20_000);
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    output = (output + chunk.toString('utf8')).slice(-20_000);
  });
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
        const response = await fetch(`${url}/health`, { signal: AbortSignal.timeout(1000) });
        return response.ok ? 'ready' : false;
      },
      { timeoutMs: 30_000, intervalMs: 100, description: `the predictor at ${url}` },
    );
    if (state === 'exited') throw new Error(`the predictor exited with status ${child.exitCode}`);
  } catch (error) {
    await kill();
    throw new Error(`${(error as Error).message}\n${output}`);
  }
  return { url, child, exited, output: () => output, kill };
}
