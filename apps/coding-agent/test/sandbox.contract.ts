import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { connect, createServer, type Server } from 'node:net';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Sandbox, SandboxRunOptions } from '../src/sandbox/sandbox.js';
import { measureDirectorySize } from '../src/workspace/workspace-size.js';

const MiB = 1024 ** 2;

/** Processes on the host whose command line contains `marker` (sandboxed ones included: they are host processes). */
async function hostProcessesWith(marker: string): Promise<number[]> {
  const found: number[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const commandLine = await readFile(`/proc/${entry}/cmdline`, 'utf8');
      if (commandLine.includes(marker)) found.push(Number(entry));
    } catch {
      // ended while reading
    }
  }
  return found;
}

async function waitFor(check: () => Promise<boolean>, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return true;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return check();
}

/**
 * The behaviour every `Sandbox` must show. Runs real commands (node and coreutils from the host's
 * `/usr`) in a real sandbox; every containment check is verified from the host side.
 */
export interface SandboxContractOptions {
  /** The memory limit holds for the process tree together (a cgroup), not per process. */
  treeMemoryLimit: boolean;
  /** The number of processes is limited (a pids cgroup), so a fork bomb stops before the timeout. */
  limitsProcesses: boolean;
}

export function sandboxContract(createSandbox: () => Sandbox | Promise<Sandbox>, contract: SandboxContractOptions): void {
  let sandbox: Sandbox;
  let workspace: string;
  let loopbackServer: Server;
  let loopbackPort: number;
  let workspaceRoot: string;

  const run = (options: Partial<SandboxRunOptions> & { command: string[] }) =>
    sandbox.run({ workspace, timeoutMs: 20_000, memoryBytes: 512 * MiB, ...options });
  const node = (script: string, options: Partial<SandboxRunOptions> = {}) => run({ command: ['node', '-e', script], ...options });

  beforeAll(async () => {
    sandbox = await createSandbox();
    workspaceRoot = await mkdtemp(join(tmpdir(), 'atb-sandbox-contract-'));
    workspace = join(workspaceRoot, 'workspace');
    await mkdir(workspace);
    loopbackServer = createServer((socket) => {
      socket.on('error', () => {});
      socket.end('hello from the host\n');
    });
    await new Promise<void>((resolve) => loopbackServer.listen(0, '127.0.0.1', resolve));
    loopbackPort = (loopbackServer.address() as { port: number }).port;
  });

  afterAll(async () => {
    await new Promise((resolve) => loopbackServer?.close(resolve));
    if (workspaceRoot) await rm(workspaceRoot, { recursive: true, force: true });
  });

  it('runs a command (argv, not a shell string) and captures stdout, stderr and the exit code', async () => {
    const result = await run({ command: ['sh', '-c', 'echo "out $1"; echo err >&2; exit 3', 'sh', 'a; rm -rf /'] });
    expect(result.exitCode).toBe(3);
    expect(result.stdout).toBe('out a; rm -rf /\n');
    expect(result.stderr).toBe('err\n');
    expect(result.timedOut).toBe(false);
    expect(result.truncatedBytes).toBe(0);
    expect(result.durationMs).toBeGreaterThan(0);
  });

  it('runs in the workspace (or cwd inside it), which it can write, with the explicit environment', async () => {
    await mkdir(join(workspace, 'sub'), { recursive: true });
    const result = await node("require('fs').writeFileSync('written.txt', process.env.GREETING); console.log(process.cwd())", {
      cwd: 'sub',
      env: { GREETING: 'hello' },
    });
    expect(result.exitCode).toBe(0);
    expect(result.stdout.trim()).toBe(join(workspace, 'sub'));
    expect(await readFile(join(workspace, 'sub', 'written.txt'), 'utf8')).toBe('hello');
  });

  it('refuses a working directory outside the workspace', async () => {
    await expect(run({ command: ['true'], cwd: '../..' })).rejects.toThrow(/cwd/);
  });

  it('cannot reach a loopback server on the host nor a public address', async () => {
    const probe = `
      const net = require('net');
      const tryConnect = (host, port) => new Promise((resolve) => {
        const socket = net.connect({ host, port, timeout: 3000 });
        socket.on('connect', () => { socket.destroy(); resolve('connected'); });
        socket.on('timeout', () => { socket.destroy(); resolve('timeout'); });
        socket.on('error', (error) => resolve(error.code));
      });
      (async () => {
        console.log(JSON.stringify({
          loopback: await tryConnect('127.0.0.1', ${loopbackPort}),
          public: await tryConnect('1.1.1.1', 443),
          dns: await new Promise((resolve) => require('dns').lookup('registry.npmjs.org', (error) => resolve(error ? error.code : 'resolved'))),
        }));
      })();`;
    // The same probe from the host reaches the loopback server: the test can fail.
    const control = await new Promise<string>((resolve) => {
      const socket = connect({ host: '127.0.0.1', port: loopbackPort });
      socket.on('connect', () => {
        socket.destroy();
        resolve('connected');
      });
      socket.on('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? 'error'));
    });
    expect(control).toBe('connected');
    const result = await node(probe);
    expect(result.exitCode).toBe(0);
    const outcome = JSON.parse(result.stdout) as Record<string, string>;
    expect(outcome.loopback).not.toBe('connected');
    expect(outcome.public).not.toBe('connected');
    expect(outcome.dns).not.toBe('resolved');
  });

  it('cannot write outside the workspace: host /tmp, /usr, the agent home (checked on the host)', async () => {
    const name = `outside-${randomBytes(6).toString('hex')}`;
    const targets = [join(tmpdir(), name), `/tmp/${name}`, `/usr/${name}`, join(homedir(), name), join(workspaceRoot, name)];
    const script = `
      const fs = require('fs');
      const results = {};
      for (const target of ${JSON.stringify(targets)}) {
        try { fs.writeFileSync(target, 'escaped'); results[target] = 'written'; } catch (error) { results[target] = error.code; }
      }
      fs.writeFileSync('inside-${name}', 'ok');
      console.log(JSON.stringify(results));`;
    const result = await node(script);
    expect(result.exitCode).toBe(0);
    for (const target of targets) expect(existsSync(target), target).toBe(false);
    expect(await readFile(join(workspace, `inside-${name}`), 'utf8')).toBe('ok');
  });

  it("cannot change the workspace's .git (hooks would run outside the sandbox)", async () => {
    await mkdir(join(workspace, '.git', 'hooks'), { recursive: true });
    await writeFile(join(workspace, '.git', 'config'), '[core]\n');
    const script = `
      const fs = require('fs');
      const results = {};
      for (const target of ['.git/hooks/pre-commit', '.git/config', '.git/new']) {
        try { fs.writeFileSync(target, '#!/bin/sh\\necho planted'); results[target] = 'written'; } catch (error) { results[target] = error.code; }
      }
      console.log(JSON.stringify(results));`;
    const result = await node(script);
    expect(result.exitCode).toBe(0);
    expect(Object.values(JSON.parse(result.stdout) as Record<string, string>)).not.toContain('written');
    expect(existsSync(join(workspace, '.git', 'hooks', 'pre-commit'))).toBe(false);
    expect(await readFile(join(workspace, '.git', 'config'), 'utf8')).toBe('[core]\n');
    await rm(join(workspace, '.git'), { recursive: true });
  });

  it('does not see the agent secrets', async () => {
    const secrets = { GITHUB_TOKEN: `ghp_${randomBytes(12).toString('hex')}`, OPENAI_API_KEY: `sk-${randomBytes(12).toString('hex')}` };
    const saved = { GITHUB_TOKEN: process.env.GITHUB_TOKEN, OPENAI_API_KEY: process.env.OPENAI_API_KEY };
    Object.assign(process.env, secrets);
    try {
      const result = await node("console.log(JSON.stringify(process.env)); console.log(require('fs').readFileSync('/proc/1/environ', 'utf8'))");
      expect(result.exitCode).toBe(0);
      expect(result.stdout).toContain('"CI":"true"');
      for (const value of Object.values(secrets)) expect(result.stdout).not.toContain(value);
      expect(result.stdout).not.toContain('GITHUB_TOKEN');
      expect(result.stdout).not.toContain('OPENAI_API_KEY');
    } finally {
      for (const [key, value] of Object.entries(saved)) {
        if (value === undefined) delete process.env[key];
        else process.env[key] = value;
      }
    }
  });

  it('kills a forked never-ending process on timeout, leaving nothing running', async () => {
    const marker = `atb-never-ending-${randomBytes(6).toString('hex')}`;
    const script = `
      const { spawn } = require('child_process');
      spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)', '${marker}'], { detached: true, stdio: 'ignore' }).unref();
      console.log('forked');
      setInterval(() => {}, 1000);`;
    const running = node(script, { timeoutMs: 3_000 });
    // The forked child is visible from the host while it runs: the final check can fail.
    expect(await waitFor(async () => (await hostProcessesWith(marker)).length > 0, 10_000)).toBe(true);
    const result = await running;
    expect(result.timedOut).toBe(true);
    expect(result.stdout).toContain('forked');
    expect(await waitFor(async () => (await hostProcessesWith(marker)).length === 0, 5_000)).toBe(true);
  });

  it('cuts unbounded output, keeping head and tail and counting what it dropped', async () => {
    const total = 5 * MiB;
    const result = await node(`process.stdout.write('H' + 'x'.repeat(${total - 2}) + 'T')`, { outputLimitBytes: 10_000 });
    expect(result.exitCode).toBe(0);
    expect(result.truncatedBytes).toBe(total - 10_000);
    expect(result.stdout.startsWith('Hxxx')).toBe(true);
    expect(result.stdout.endsWith('xxT')).toBe(true);
    expect(Buffer.byteLength(result.stdout)).toBeLessThan(10_000 + 100);
    const endless = await run({ command: ['yes'], outputLimitBytes: 1_000, timeoutMs: 1_000 });
    expect(endless.timedOut).toBe(true);
    expect(endless.truncatedBytes).toBeGreaterThan(0);
    expect(Buffer.byteLength(endless.stdout)).toBeLessThan(1_100);
  });

  it('stops unbounded memory use', async () => {
    const script = 'const kept = []; for (;;) kept.push(Buffer.alloc(1024 * 1024, 1));';
    const result = await node(script, { memoryBytes: 256 * MiB, timeoutMs: 30_000 });
    expect(result.timedOut).toBe(false);
    expect(result.exitCode).not.toBe(0);
    expect(result.outOfMemory).toBe(true);
  });

  it.runIf(contract.treeMemoryLimit)('holds the memory limit for a forked process tree together', async () => {
    // Four children of 150 MiB each: every one fits a per-process limit of 256 MiB, the tree does not.
    const script = `
      const { spawn } = require('child_process');
      const child = () => new Promise((resolve) => {
        const process_ = spawn(process.execPath, ['-e', 'const b = Buffer.alloc(150 * 1024 * 1024, 1); setTimeout(() => console.log(b.length), 1500)'], { stdio: 'inherit' });
        process_.on('exit', (code, signal) => resolve(signal ?? code));
      });
      Promise.all([child(), child(), child(), child()]).then((outcomes) => console.log(JSON.stringify(outcomes)));`;
    const result = await node(script, { memoryBytes: 256 * MiB, timeoutMs: 30_000 });
    expect(result.timedOut).toBe(false);
    // (bubblewrap also reports `outOfMemory` from the cgroup's OOM-kill counter; Podman on cgroup v1
    // reports nothing when only children were killed, so the contract checks the children.)
    const outcomes = JSON.parse(result.stdout.trim().split('\n').at(-1) ?? '[]') as Array<number | string>;
    expect(outcomes.filter((outcome) => outcome === 0).length).toBeLessThan(4);
  });

  it.runIf(contract.limitsProcesses)('bounds the number of processes (a fork bomb stops short)', async () => {
    const script = `
      const { spawn } = require('child_process');
      (async () => {
        let started = 0;
        for (let i = 0; i < 1500; i++) {
          const ok = await new Promise((resolve) => {
            const child = spawn('/usr/bin/sleep', ['30'], { stdio: 'ignore' });
            child.once('spawn', () => resolve(true));
            child.once('error', () => resolve(false));
          });
          if (!ok) break;
          started++;
        }
        console.log(started);
        process.exit(0);
      })();`;
    const result = await node(script, { timeoutMs: 60_000 });
    expect(result.timedOut).toBe(false);
    const started = Number(result.stdout.trim());
    expect(started).toBeGreaterThan(50);
    expect(started).toBeLessThan(1500);
  });

  it('stops unbounded writes to one file', async () => {
    const script = "const fs = require('fs'); const chunk = Buffer.alloc(1024 * 1024, 1); const fd = fs.openSync('big.bin', 'w'); for (;;) fs.writeSync(fd, chunk);";
    const result = await node(script, { fileSizeLimitBytes: 8 * MiB, timeoutMs: 30_000 });
    expect(result.timedOut).toBe(false);
    expect(result.exitCode).not.toBe(0);
    expect(result.diskLimitExceeded).toBe(true);
    expect((await stat(join(workspace, 'big.bin'))).size).toBeLessThanOrEqual(8 * MiB);
    await rm(join(workspace, 'big.bin'));
  });

  it('stops unbounded writes across many files at the workspace limit', async () => {
    await mkdir(join(workspace, 'many'), { recursive: true });
    const script =
      "const fs = require('fs'); const chunk = Buffer.alloc(256 * 1024, 1); for (let i = 0; ; i++) { fs.writeFileSync('many/' + i, chunk); if (i % 40 === 0) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 5); }";
    const result = await node(script, { workspaceLimitBytes: 32 * MiB, fileSizeLimitBytes: 1 * MiB, timeoutMs: 30_000 });
    expect(result.timedOut).toBe(false);
    expect(result.diskLimitExceeded).toBe(true);
    const size = await measureDirectorySize(join(workspace, 'many'));
    expect(size).toBeGreaterThan(32 * MiB);
    expect(size).toBeLessThan(2048 * MiB);
    await rm(join(workspace, 'many'), { recursive: true });
  });
}
