import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeWithComponent } from '../src/components.js';
import {
  connectEngine,
  ensureNodeBaseImage,
  type NodeContainer,
  type PodmanEngine,
  probePodman,
  runNodeContainer,
  socketAnswers,
  startPodman,
} from '../src/podman.js';

/** A server that listens on a random loopback port and writes it to /state/port. */
const SERVER = `
import { createServer } from 'node:http';
import { writeFileSync } from 'node:fs';
const server = createServer((request, response) => response.end('hello from ' + process.env.GREETING));
server.listen(0, '127.0.0.1', () => {
  writeFileSync('/state/port', String(server.address().port));
  console.log('listening');
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
`;

describeWithComponent('Podman', await probePodman(), 'install it: bash scripts/install-system-deps.sh', () => {
  let engine: PodmanEngine;
  let container: NodeContainer | undefined;
  const appDirectory = mkdtempSync(join(tmpdir(), 'atb-podman-app-'));
  const stateDirectory = mkdtempSync(join(tmpdir(), 'atb-podman-state-'));

  beforeAll(async () => {
    writeFileSync(join(appDirectory, 'server.mjs'), SERVER);
    engine = await startPodman();
  });

  afterAll(async () => {
    await container?.remove();
    await engine?.close();
    rmSync(appDirectory, { recursive: true, force: true });
    rmSync(stateDirectory, { recursive: true, force: true });
  });

  async function answer(previousPort?: string): Promise<{ port: string; body: string }> {
    const deadline = Date.now() + 15_000;
    for (;;) {
      try {
        const port = readFileSync(join(stateDirectory, 'port'), 'utf8');
        if (port && port !== previousPort) {
          const response = await fetch(`http://127.0.0.1:${port}/`);
          return { port, body: await response.text() };
        }
      } catch (error) {
        if (Date.now() > deadline) throw error;
      }
      if (Date.now() > deadline) throw new Error('the container never answered');
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  it('serves the Docker Engine API on its socket and reuses it', async () => {
    expect(engine.dockerHost).toBe(`unix://${engine.socketPath}`);
    expect(await socketAnswers(engine.socketPath)).toBe(true);
    expect(await startPodman()).toBe(engine);
    const version = await engine.docker.version();
    expect(JSON.stringify(version)).toMatch(/podman/i);
  });

  it('builds the near-empty root image once', async () => {
    const image = await ensureNodeBaseImage(engine);
    expect(image).toBe('localhost/atb-node-base:latest');
    expect(await ensureNodeBaseImage(engine)).toBe(image);
    const details = await engine.docker.getImage(image).inspect();
    expect(details.Id).toMatch(/[0-9a-f]{12}/);
  });

  it('imports a fresh image through the Engine API under any tag', async () => {
    const tag = `localhost/atb-node-base-test-${randomBytes(4).toString('hex')}:latest`;
    try {
      expect(await ensureNodeBaseImage(engine, tag)).toBe(tag);
      const details = await engine.docker.getImage(tag).inspect();
      expect(details.RepoTags).toContain(tag);
    } finally {
      await engine.docker.getImage(tag).remove().catch(() => {});
    }
  });

  it('never outlives a test process that is killed (no exit handlers run)', async () => {
    const child = spawn(
      process.execPath,
      [
        '--conditions=@atb/source',
        '--import',
        'tsx',
        '-e',
        "const { startPodman } = await import('@atb/testing/podman'); const engine = await startPodman(); console.log(engine.socketPath); setInterval(() => {}, 1000);",
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    const socketPath = await new Promise<string>((resolve) => child.stdout?.once('data', (data) => resolve(String(data).trim())));
    try {
      expect(await socketAnswers(socketPath)).toBe(true);
      child.kill('SIGKILL');
      const deadline = Date.now() + 10_000;
      while (await socketAnswers(socketPath)) {
        if (Date.now() > deadline) throw new Error(`the orphaned service still answers on ${socketPath}`);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    } finally {
      child.kill('SIGKILL');
      rmSync(dirname(socketPath), { recursive: true, force: true });
    }
  });

  it('connects to an engine by DOCKER_HOST', async () => {
    const connection = connectEngine(engine.dockerHost);
    expect(String(await connection.docker.ping())).toBe('OK');
    expect(() => connectEngine('ssh://elsewhere')).toThrow(/DOCKER_HOST/);
  });

  it('runs a Node server that answers on loopback, and a restart changes StartedAt', async () => {
    const name = `atb-podman-test-${randomBytes(4).toString('hex')}`;
    container = await runNodeContainer(engine, {
      name,
      appDirectory,
      script: 'server.mjs',
      env: { GREETING: 'podman' },
      labels: { 'atb.test': 'podman' },
      mounts: [{ source: stateDirectory, target: '/state', readOnly: false }],
    });
    const first = await answer();
    expect(first.body).toBe('hello from podman');

    const handle = engine.docker.getContainer(container.id);
    const before = await handle.inspect();
    expect(before.Name.replace(/^\//, '')).toBe(name);
    expect(before.Config.Labels).toMatchObject({ 'atb.test': 'podman' });
    expect(before.HostConfig.NetworkMode).toBe('host');

    writeFileSync(join(stateDirectory, 'port'), '');
    await handle.restart({ t: 5 });
    const after = await handle.inspect();
    expect(after.State.Running).toBe(true);
    expect(after.State.StartedAt).not.toBe(before.State.StartedAt);
    const second = await answer(first.port);
    expect(second.body).toBe('hello from podman');

    await container.remove();
    await expect(handle.inspect()).rejects.toMatchObject({ statusCode: 404 });
    container = undefined;
  });
});
