import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';

const fixture = fileURLToPath(new URL('./fixtures/serve.ts', import.meta.url));
const children: ChildProcess[] = [];

afterEach(() => {
  for (const child of children.splice(0)) child.kill('SIGKILL');
});

function start(env: Record<string, string>) {
  const child = spawn(process.execPath, ['--import', 'tsx', fixture], {
    env: { ...process.env, API_PORT: '0', LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (chunk) => {
    stdout += String(chunk);
  });
  child.stderr?.on('data', (chunk) => {
    stderr += String(chunk);
  });
  return {
    child,
    output: () => ({ stdout, stderr }),
    async url(): Promise<string> {
      for (let attempt = 0; attempt < 300; attempt += 1) {
        const match = /"url":"(http:\/\/[^"]+)"/.exec(stdout);
        if (match?.[1]) return match[1];
        if (child.exitCode !== null) throw new Error(`exited early: ${stderr}`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      throw new Error(`never listened: ${stdout} ${stderr}`);
    },
  };
}

describe('runService', () => {
  it('finishes in-flight requests, closes stores and exits 0 on SIGTERM', async () => {
    const service = start({});
    const url = await service.url();
    const pending = fetch(`${url}/slow`).then((response) => response.json());
    // Signal only once the request is in flight, however slow the machine is.
    while (!service.output().stdout.includes('slow request started')) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    service.child.kill('SIGTERM');
    expect(await pending).toEqual({ done: true });
    const [code] = await once(service.child, 'exit');
    expect(code).toBe(0);
    expect(service.output().stdout).toContain('store closed');
    expect(service.output().stdout).toContain('shutting down');
  });

  it('stops with status 78 and names the bad variable', async () => {
    const service = start({ API_PORT: 'not-a-port', LOG_LEVEL: 'loud' });
    const [code] = await once(service.child, 'exit');
    expect(code).toBe(78);
    const { stderr } = service.output();
    expect(stderr).toContain('API_PORT: expected a port number (received "not-a-port")');
    expect(stderr).toContain('LOG_LEVEL: expected one of');
  });
});
