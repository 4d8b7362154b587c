import { type ChildProcess, execFile } from 'node:child_process';

/**
 * Polls `<url>/-/ready` (Prometheus and Alertmanager both answer it) until it is OK, failing
 * early with the process' logs when it exits first or stays unready past `timeoutMs`.
 */
export async function waitForReady(
  name: string,
  url: string,
  child: ChildProcess,
  timeoutMs: number,
  logs: () => string,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`${name} exited (${child.exitCode ?? child.signalCode}) before it was ready:\n${logs()}`);
    }
    try {
      const response = await fetch(`${url}/-/ready`, { signal: AbortSignal.timeout(1000) });
      if (response.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`${name} was not ready at ${url} within ${timeoutMs} ms:\n${logs()}`);
}

/** SIGTERM, then SIGKILL after `graceMs`; resolves once the process has exited. */
export async function stopChild(child: ChildProcess, exited: Promise<void>, graceMs = 5000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}

/** `undefined` when `<binary> --version` runs and mentions `marker`, otherwise why not. */
export function probeBinary(binary: string, marker: string, name: string): Promise<string | undefined> {
  return new Promise((resolve) => {
    execFile(binary, ['--version'], { timeout: 10_000 }, (error, stdout, stderr) => {
      if (error) resolve(`${binary} --version failed: ${error.message}`);
      else if (!`${stdout}${stderr}`.includes(marker)) resolve(`${binary} is not ${name}`);
      else resolve(undefined);
    });
  });
}
