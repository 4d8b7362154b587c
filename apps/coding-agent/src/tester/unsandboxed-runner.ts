import { spawn } from 'node:child_process';
import type { Sandbox, SandboxResult, SandboxRunOptions } from '../sandbox/sandbox.js';

/**
 * `ENABLE_SANDBOXING=false`: runs commands as plain child processes in their own process group
 * (killed as a whole on timeout), with the same clean environment and bounded output, but with
 * no isolation of network or file system. For development machines without bubblewrap only.
 */
export class UnsandboxedRunner implements Sandbox {
  readonly kind = 'none';

  async available(): Promise<string | undefined> {
    return undefined;
  }

  run(options: SandboxRunOptions): Promise<SandboxResult> {
    const started = performance.now();
    const limit = options.outputLimitBytes ?? 1024 * 1024;
    return new Promise((resolve) => {
      const [program, ...args] = options.command;
      const child = spawn(program ?? 'true', args, {
        cwd: options.cwd ?? options.workspace,
        env: { HOME: options.workspace, ...options.env },
        detached: true,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stdout = '';
      let stderr = '';
      let truncatedBytes = 0;
      let timedOut = false;
      const keep = (current: string, chunk: Buffer) => {
        if (current.length + chunk.length <= limit) return current + chunk.toString('utf8');
        truncatedBytes += chunk.length;
        return current;
      };
      child.stdout.on('data', (chunk: Buffer) => {
        stdout = keep(stdout, chunk);
      });
      child.stderr.on('data', (chunk: Buffer) => {
        stderr = keep(stderr, chunk);
      });
      const kill = () => {
        try {
          if (child.pid) process.kill(-child.pid, 'SIGKILL');
        } catch {
          // already gone
        }
      };
      const timer = setTimeout(() => {
        timedOut = true;
        kill();
      }, options.timeoutMs);
      options.signal?.addEventListener('abort', kill, { once: true });
      const finish = (exitCode: number | null, signal: string | null) => {
        clearTimeout(timer);
        kill();
        resolve({
          exitCode,
          signal,
          timedOut,
          outOfMemory: false,
          stdout,
          stderr,
          truncatedBytes,
          durationMs: performance.now() - started,
        });
      };
      child.on('error', (error) => {
        stderr += String(error);
        finish(127, null);
      });
      child.on('close', (code, signal) => finish(code, signal));
    });
  }
}
