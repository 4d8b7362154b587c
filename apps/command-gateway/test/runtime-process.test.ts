import { randomBytes } from 'node:crypto';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startControlServer, Supervisor } from '@atb/cli/control';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RuntimeUnavailableError } from '../src/runtime/container-runtime.js';
import { ProcessRuntime } from '../src/runtime/process-runtime.js';
import { runtimeContractSuite } from './runtime.contract.js';
import { startMisbehavingServer } from './runtime-misbehaving-server.js';

const here = dirname(fileURLToPath(import.meta.url));
const fixtureScript = join(here, 'runtime-fixture-server.mjs');

describe('process runtime (atb up’s supervisor and control API)', () => {
  runtimeContractSuite(async () => {
    const directory = mkdtempSync(join(tmpdir(), 'atb-runtime-process-'));
    const supervisor = new Supervisor(() => {});
    const name = `fixture-${randomBytes(3).toString('hex')}`;
    const labels = { 'atb.managed': 'true', 'atb.test': 'runtime-contract' };
    supervisor.start({
      name,
      script: fixtureScript,
      cwd: directory,
      env: { ...process.env, STATE_FILE: join(directory, 'port'), GREETING: 'a process' },
      labels,
    });
    let control = await startControlServer(supervisor, { controlFile: join(directory, 'atb', 'control.json') });
    const cleanups: (() => Promise<void>)[] = [];
    return {
      runtime: new ProcessRuntime({ controlFile: control.controlFile }),
      target: name,
      labels,
      readPort: () => readPort(join(directory, 'port')),
      clearPort: () => writeFileSync(join(directory, 'port'), ''),
      async stoppedEngine() {
        // A real control server that was running and has stopped; its control file left behind.
        const otherSupervisor = new Supervisor(() => {});
        const other = await startControlServer(otherSupervisor, { controlFile: join(directory, 'stopped', 'control.json') });
        const leftBehind = join(directory, 'stopped-control.json');
        copyFileSync(other.controlFile, leftBehind);
        await other.close();
        return { runtime: new ProcessRuntime({ controlFile: leftBehind }), endpoint: `ATB_CONTROL_FILE=${leftBehind}` };
      },
      async restartEngine(whileDown) {
        // The control API goes away and comes back on a new port and token (same control file).
        await control.close();
        try {
          await whileDown();
        } finally {
          control = await startControlServer(supervisor, { controlFile: join(directory, 'atb', 'control.json') });
        }
      },
      droppingEngine: () => misbehaving('drop'),
      hangingEngine: () => misbehaving('hang'),
      async close() {
        for (const cleanup of cleanups) await cleanup();
        await control.close();
        await supervisor.stopAll(5000);
        rmSync(directory, { recursive: true, force: true });
      },
    };

    async function misbehaving(mode: 'drop' | 'hang') {
      const server = await startMisbehavingServer(mode, { port: 0 });
      cleanups.push(() => server.close());
      const controlFile = join(directory, `${mode}-control.json`);
      writeFileSync(controlFile, JSON.stringify({ url: server.address, token: 'x'.repeat(64), pid: process.pid }));
      return { runtime: new ProcessRuntime({ controlFile }), endpoint: `ATB_CONTROL_FILE=${controlFile}` };
    }
  });
});

describe('the control API itself', () => {
  const directory = mkdtempSync(join(tmpdir(), 'atb-control-'));
  const printed: string[] = [];
  const supervisor = new Supervisor((line) => printed.push(line));
  let control: Awaited<ReturnType<typeof startControlServer>>;

  beforeAll(async () => {
    supervisor.start({
      name: 'market-predictor',
      script: fixtureScript,
      cwd: directory,
      env: { ...process.env, STATE_FILE: join(directory, 'port') },
    });
    control = await startControlServer(supervisor, { controlFile: join(directory, 'atb', 'control.json') });
  });

  afterAll(async () => {
    await control.close();
    await supervisor.stopAll(5000);
    rmSync(directory, { recursive: true, force: true });
  });

  it('writes the control file 0600 with a loopback URL and a random token, and removes it on close', () => {
    expect(statSync(control.controlFile).mode & 0o777).toBe(0o600);
    const content = JSON.parse(readFileSync(control.controlFile, 'utf8')) as { url: string; token: string };
    expect(content.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(content.token).toMatch(/^[0-9a-f]{64}$/);
  });

  it('refuses a missing or wrong token (401) and changes nothing', async () => {
    const before = supervisor.describe('market-predictor');
    for (const authorization of [undefined, 'Bearer wrong', `Bearer ${control.token}x`, control.token]) {
      const response = await fetch(`${control.url}/v1/processes/market-predictor/restart`, {
        method: 'POST',
        headers: authorization ? { authorization } : {},
      });
      expect(response.status).toBe(401);
    }
    expect(supervisor.describe('market-predictor').started_at).toBe(before.started_at);
  });

  it('answers 400 naming the field for bad parameters', async () => {
    const headers = { authorization: `Bearer ${control.token}` };
    const logs = await fetch(`${control.url}/v1/processes/market-predictor/logs?tail=99999`, { headers });
    expect(logs.status).toBe(400);
    expect(await logs.json()).toMatchObject({ field: 'tail' });
    const restart = await fetch(`${control.url}/v1/processes/market-predictor/restart`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ timeout_seconds: 'soon' }),
    });
    expect(restart.status).toBe(400);
    expect(await restart.json()).toMatchObject({ field: 'timeout_seconds' });
    for (const path of ['/v1/processes/%E0%A4%A', '/v1/processes/..%2Fetc', '/v1/processes/market-predictor/exec']) {
      const response = await fetch(`${control.url}${path}`, { method: 'POST', headers });
      expect(response.status).toBe(404);
    }
  });

  it('prints who restarted what: a restart through the control API is never silent', async () => {
    const runtime = new ProcessRuntime({ controlFile: control.controlFile, actor: 'command-gateway' });
    await runtime.restart('market-predictor', { timeoutSeconds: 5 });
    expect(printed.some((line) => /market-predictor.*restarted by command-gateway \(pid \d+ → \d+\)/.test(line))).toBe(true);
    expect(printed.some((line) => line.includes('exited unexpectedly'))).toBe(false);
    expect((await runtime.inspect('market-predictor')).restart_count).toBe(1);

    await runtime.stop('market-predictor', { timeoutSeconds: 5 });
    await runtime.start('market-predictor');
    expect(printed.some((line) => /market-predictor.*stopped by command-gateway/.test(line))).toBe(true);
    expect(printed.some((line) => /market-predictor.*started by command-gateway/.test(line))).toBe(true);
    expect(printed.some((line) => line.includes('exited unexpectedly'))).toBe(false);
  });

  it('performs an operation once per operation id: a repeat, concurrent or later, answers the first outcome', async () => {
    const runtime = new ProcessRuntime({ controlFile: control.controlFile });
    expect(runtime.dedupesOperations).toBe(true);
    const before = (await runtime.inspect('market-predictor')).restart_count;
    const operationId = `request-${randomBytes(4).toString('hex')}`;
    await Promise.all([runtime.restart('market-predictor', { timeoutSeconds: 5, operationId }), runtime.restart('market-predictor', { timeoutSeconds: 5, operationId })]);
    await runtime.restart('market-predictor', { timeoutSeconds: 5, operationId });
    expect((await runtime.inspect('market-predictor')).restart_count).toBe(before + 1);
    // The same id for another operation is refused, and performs nothing.
    const reused = await runtime.stop('market-predictor', { timeoutSeconds: 5, operationId }).catch((error: unknown) => error);
    expect(String(reused)).toMatch(/409.*was used for restart market-predictor/);
    expect((await runtime.inspect('market-predictor')).state).toBe('running');
    await runtime.restart('market-predictor', { timeoutSeconds: 5 });
    expect((await runtime.inspect('market-predictor')).restart_count).toBe(before + 2);
  });

  it('still reports a crash loudly, and restarts nothing by itself', async () => {
    const { pid } = supervisor.describe('market-predictor');
    process.kill(pid ?? 0, 'SIGKILL');
    const deadline = Date.now() + 5000;
    while (!printed.some((line) => line.includes('exited unexpectedly (signal SIGKILL); not restarted'))) {
      if (Date.now() > deadline) throw new Error(`no crash report in:\n${printed.join('\n')}`);
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
    const after = supervisor.describe('market-predictor');
    expect(after.state).toBe('exited');
    expect(after.exit_code).toBe(137);
  });

  it('kills a process that ignores SIGTERM once the grace period is over, and starts it again', async () => {
    const script = join(directory, 'stubborn.mjs');
    writeFileSync(script, "process.on('SIGTERM', () => console.log('ignoring SIGTERM')); setInterval(() => {}, 1000); console.log('up');");
    supervisor.start({ name: 'stubborn', script, cwd: directory, env: process.env });
    const runtime = new ProcessRuntime({ controlFile: control.controlFile });
    const deadline = Date.now() + 10_000;
    while (!(await runtime.logs('stubborn', { tail: 5 })).includes('up')) {
      if (Date.now() > deadline) throw new Error('the stubborn process never started');
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    const before = await runtime.inspect('stubborn');
    await runtime.restart('stubborn', { timeoutSeconds: 1 });
    const after = await runtime.inspect('stubborn');
    expect(after.state).toBe('running');
    expect(after.pid).not.toBe(before.pid);
    expect(printed.some((line) => line.includes('stubborn did not stop within 1000 ms: killing'))).toBe(true);
    await runtime.stop('stubborn', { timeoutSeconds: 0 });
    expect((await runtime.inspect('stubborn')).state).toBe('exited');
  });

  it('says so when no `atb up` is running (no control file)', async () => {
    const runtime = new ProcessRuntime({ controlFile: join(directory, 'nowhere', 'control.json') });
    const failure = await runtime.list().catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(RuntimeUnavailableError);
    expect((failure as Error).message).toMatch(/ATB_CONTROL_FILE=.*no control file/);
  });
});

function readPort(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8').trim() || undefined;
  } catch {
    return undefined;
  }
}
