import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeWithComponent } from '@atb/testing';
import { type PodmanEngine, probePodman, startPodman } from '@atb/testing/podman';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { ManagedContainer } from '../src/control-container.js';
import { chooseRuntime } from '../src/control-engine.js';

/** A service stand-in: answers HTTP, writes its port to /app/.data/port, logs, exits on SIGTERM. */
const SERVICE = `
import { createServer } from 'node:http';
import { writeFileSync } from 'node:fs';
const server = createServer((request, response) => response.end('ok'));
server.listen(0, '127.0.0.1', () => {
  writeFileSync('/app/.data/port', String(server.address().port));
  console.log(JSON.stringify({ level: 30, time: new Date().toISOString(), msg: 'service listening' }));
});
process.on('SIGTERM', () => { console.log('terminating'); server.close(() => process.exit(0)); server.closeAllConnections(); });
`;

describeWithComponent('Podman', await probePodman(), 'install it: bash scripts/install-system-deps.sh', () => {
  let engine: PodmanEngine;
  let container: ManagedContainer | undefined;
  const root = mkdtempSync(join(tmpdir(), 'atb-up-root-'));
  const printed: string[] = [];
  const name = `atb-up-test-${randomBytes(4).toString('hex')}`;

  beforeAll(async () => {
    mkdirSync(join(root, 'service'), { recursive: true });
    writeFileSync(join(root, 'service', 'main.mjs'), SERVICE);
    engine = await startPodman();
  });

  afterAll(async () => {
    await container?.stop().catch(() => {});
    await engine.docker
      .getContainer(name)
      .remove({ force: true })
      .catch(() => {});
    await engine?.close();
    rmSync(root, { recursive: true, force: true });
  });

  async function waitFor(predicate: () => boolean, what: string): Promise<void> {
    const deadline = Date.now() + 10_000;
    while (!predicate()) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; printed:\n${printed.join('\n')}`);
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  }

  it('chooses docker when DOCKER_HOST answers, the process runtime when nothing does', async () => {
    const found = await chooseRuntime('auto', engine.dockerHost, root);
    expect(found).toMatchObject({ kind: 'docker', reason: `DOCKER_HOST=${engine.dockerHost} answers` });
    const missing = `unix://${join(root, 'no-engine.sock')}`;
    expect(await chooseRuntime('auto', missing, root)).toMatchObject({ kind: 'process', reason: expect.stringContaining(missing) });
    expect(await chooseRuntime('process', engine.dockerHost, root)).toMatchObject({ kind: 'process' });
    await expect(chooseRuntime('docker', missing, root)).rejects.toThrow(/does not answer/);
  });

  it('runs a service as a labelled container, prints its output, and reports a restart through the engine', async () => {
    container = await ManagedContainer.start(
      engine,
      { name, root, script: 'service/main.mjs', env: { GREETING: 'hi', PWD: '/somewhere' }, labels: { 'atb.managed': 'true' } },
      (line) => printed.push(line),
    );
    await waitFor(() => printed.some((line) => line.includes('service listening')), 'the first output');
    const port = readFileSync(join(root, '.data', 'port'), 'utf8');
    expect(await (await fetch(`http://127.0.0.1:${port}/`)).text()).toBe('ok');
    const details = await engine.docker.getContainer(name).inspect();
    expect(details.Config.Labels).toMatchObject({ 'atb.managed': 'true' });
    expect(details.Config.Env).toContain('GREETING=hi');
    expect(details.Config.Env.some((variable) => variable.startsWith('PWD=/somewhere'))).toBe(false);

    printed.length = 0;
    await engine.docker.getContainer(name).restart({ t: 5 });
    await waitFor(() => printed.some((line) => line.includes('restarted through the container engine')), 'the restart report');
    await waitFor(() => printed.some((line) => line.includes('service listening')), 'output after the restart');
    expect(printed.filter((line) => line.includes('terminating'))).toHaveLength(1);
    expect(printed.some((line) => line.includes('exited unexpectedly'))).toBe(false);
  });

  it('refuses to replace a container of that name that atb did not start', async () => {
    // The one left by the previous test carries atb.managed=true: it is replaced.
    const replacement = await ManagedContainer.start(engine, { name, root, script: 'service/main.mjs', env: {}, labels: {} }, () => {});
    expect(replacement.id).not.toBe(container?.id);
    container = undefined;
    await replacement.stop();
    const foreign = await engine.docker.createContainer({
      name,
      Image: 'localhost/atb-node-base:latest',
      Cmd: ['/usr/bin/node', '-e', '0'],
      Labels: { owner: 'someone-else' },
    });
    await expect(
      ManagedContainer.start(engine, { name, root, script: 'service/main.mjs', env: {}, labels: { 'atb.managed': 'true' } }, () => {}),
    ).rejects.toThrow(/not started by atb/);
    await foreign.remove({ force: true });
  });

  it('stops and removes its container on request', async () => {
    const stopped: string[] = [];
    const managed = await ManagedContainer.start(
      engine,
      { name, root, script: 'service/main.mjs', env: {}, labels: { 'atb.managed': 'true' } },
      (line) => stopped.push(line),
    );
    await managed.stop();
    await expect(engine.docker.getContainer(name).inspect()).rejects.toMatchObject({ statusCode: 404 });
    expect(stopped.some((line) => line.includes('container removed'))).toBe(true);
    expect(stopped.some((line) => line.includes('exited unexpectedly'))).toBe(false);
  });
});
