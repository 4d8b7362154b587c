import { type ChildProcess, spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { freePort, waitFor } from '@atb/testing';

const REPOSITORY_ROOT = resolve(import.meta.dirname, '../../../..');

/** A coding agent started as its own process from source (`node --import tsx src/main.ts`). */
export interface AgentProcess {
  url: string;
  child: ChildProcess;
  output(): string;
  /** SIGKILLs the process (no graceful shutdown: a crash) and waits until it is gone. */
  kill(): Promise<void>;
}

/** Starts `apps/coding-agent/src/main.ts` on a free loopback port and waits for `/health`. */
export async function startAgentProcess(environment: Record<string, string>): Promise<AgentProcess> {
  const port = await freePort();
  const child = spawn(process.execPath, ['--conditions=@atb/source', '--import', 'tsx', 'apps/coding-agent/src/main.ts'], {
    cwd: REPOSITORY_ROOT,
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', API_HOST: '127.0.0.1', API_PORT: String(port), LOG_LEVEL: 'warn', ...environment },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const collect = (chunk: Buffer) => {
    output = (output + chunk.toString('utf8')).slice(-20_000);
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  const exited = new Promise<void>((done) => child.once('exit', () => done()));
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
      { timeoutMs: 30_000, intervalMs: 100, description: `the coding agent at ${url}` },
    );
    if (state === 'exited') throw new Error(`the coding agent exited with status ${child.exitCode}`);
  } catch (error) {
    await kill();
    throw new Error(`${(error as Error).message}\n${output}`);
  }
  return { url, child, output: () => output, kill };
}
