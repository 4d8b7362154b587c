import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describeWithComponent } from '@atb/testing';
import { type NodeContainer, type PodmanEngine, probePodman, runNodeContainer, startPodman } from '@atb/testing/podman';
import { expect, it } from 'vitest';
import { RuntimeUnavailableError } from '../src/runtime/container-runtime.js';
import { isStaleDeath } from '../src/runtime/docker-events.js';
import { DockerRuntime } from '../src/runtime/docker-runtime.js';
import { runtimeContractSuite } from './runtime.contract.js';
import { startMisbehavingServer } from './runtime-misbehaving-server.js';

const here = dirname(fileURLToPath(import.meta.url));

describeWithComponent('Podman', await probePodman(), 'install it: bash scripts/install-system-deps.sh', () => {
  runtimeContractSuite(async () => {
    // A private API service, so the event cases can restart it (containers keep running).
    const engineDirectory = mkdtempSync(join(tmpdir(), 'atb-events-engine-'));
    let engine: PodmanEngine = await startPodman({ directory: engineDirectory, idleTimeoutSeconds: 300 });
    const stateDirectory = mkdtempSync(join(tmpdir(), 'atb-runtime-docker-'));
    const name = `atb-events-test-contract-${randomBytes(4).toString('hex')}`;
    const labels = { 'atb.managed': 'true', 'atb.test': 'runtime-contract' };
    const container: NodeContainer = await runNodeContainer(engine, {
      name,
      appDirectory: here,
      script: 'runtime-fixture-server.mjs',
      env: { STATE_FILE: '/state/port', GREETING: 'a container' },
      labels,
      mounts: [{ source: stateDirectory, target: '/state', readOnly: false }],
      stopTimeoutSeconds: 5,
    });
    const cleanups: (() => Promise<void>)[] = [];
    return {
      runtime: new DockerRuntime({ dockerHost: engine.dockerHost }),
      target: name,
      labels,
      readPort: () => readPort(join(stateDirectory, 'port')),
      clearPort: () => writeFileSync(join(stateDirectory, 'port'), ''),
      async stoppedEngine() {
        const directory = mkdtempSync(join(tmpdir(), 'atb-podman-stopped-'));
        cleanups.push(async () => rmSync(directory, { recursive: true, force: true }));
        const stopped = await startPodman({ directory, idleTimeoutSeconds: 60 });
        await stopped.close();
        return { runtime: new DockerRuntime({ dockerHost: stopped.dockerHost }), endpoint: `DOCKER_HOST=${stopped.dockerHost}` };
      },
      async restartEngine(whileDown) {
        await engine.close();
        try {
          await whileDown();
        } finally {
          engine = await startPodman({ directory: engineDirectory, idleTimeoutSeconds: 300 });
        }
      },
      async droppingEngine() {
        return misbehaving('drop');
      },
      async hangingEngine() {
        return misbehaving('hang');
      },
      async close() {
        await container.remove();
        for (const cleanup of cleanups) await cleanup();
        rmSync(stateDirectory, { recursive: true, force: true });
        await engine.close();
        rmSync(engineDirectory, { recursive: true, force: true });
      },
    };

    async function misbehaving(mode: 'drop' | 'hang') {
      const directory = mkdtempSync(join(tmpdir(), `atb-engine-${mode}-`));
      const server = await startMisbehavingServer(mode, { path: join(directory, 'engine.sock') });
      cleanups.push(async () => {
        await server.close();
        rmSync(directory, { recursive: true, force: true });
      });
      return { runtime: new DockerRuntime({ dockerHost: server.address }), endpoint: `DOCKER_HOST=${server.address}` };
    }
  });
});

describeWithComponent('Podman', await probePodman(), 'install it: bash scripts/install-system-deps.sh', () => {
  it('a death reported after the container started again is a late record; one before that start, or of a stopped or unknown container, is not', async () => {
    const directory = mkdtempSync(join(tmpdir(), 'atb-stale-death-'));
    writeFileSync(join(directory, 'idle.mjs'), "process.on('SIGTERM', () => process.exit(0)); setInterval(() => {}, 1000);");
    const engine = await startPodman();
    const container = await runNodeContainer(engine, { name: `atb-stale-death-${randomBytes(4).toString('hex')}`, appDirectory: directory, script: 'idle.mjs' });
    try {
      const startedAt = Date.parse((await engine.docker.getContainer(container.id).inspect()).State.StartedAt);
      expect(await isStaleDeath(engine.docker, container.id, (startedAt + 1000) * 1e6)).toBe(true);
      expect(await isStaleDeath(engine.docker, container.id, (startedAt - 1000) * 1e6)).toBe(false);
      await engine.docker.getContainer(container.id).stop({ t: 5 });
      expect(await isStaleDeath(engine.docker, container.id, (startedAt + 1000) * 1e6)).toBe(false);
      expect(await isStaleDeath(engine.docker, 'no-such-container', Date.now() * 1e6)).toBe(false);
    } finally {
      await container.remove();
      await engine.close();
      rmSync(directory, { recursive: true, force: true });
    }
  });

  it('says the engine is unreachable when the real engine dies in the middle of a stop', async () => {
    // A second, private API service; the container ignores SIGTERM, so a stop waits its full grace.
    const directory = mkdtempSync(join(tmpdir(), 'atb-engine-dies-'));
    writeFileSync(join(directory, 'stubborn.mjs'), "process.on('SIGTERM', () => {}); setInterval(() => {}, 1000);");
    const service = await startPodman({ directory, idleTimeoutSeconds: 60 });
    const name = `atb-runtime-stubborn-${randomBytes(4).toString('hex')}`;
    const container = await runNodeContainer(service, { name, appDirectory: directory, script: 'stubborn.mjs', stopTimeoutSeconds: 30 });
    let cleanupError: unknown;
    try {
      const runtime = new DockerRuntime({ dockerHost: service.dockerHost });
      const stopping = runtime.stop(name, { timeoutSeconds: 20 }).catch((error: unknown) => error);
      await new Promise((resolve) => setTimeout(resolve, 500));
      await service.close();
      const failure = await stopping;
      expect(failure).toBeInstanceOf(RuntimeUnavailableError);
      expect((failure as Error).message).toContain(`DOCKER_HOST=${service.dockerHost}`);
    } finally {
      // The interrupted stop can leave the container locked for a moment: retry until it is gone,
      // so no run leaves a container behind.
      const engine = await startPodman();
      const inspected = await engine.docker
        .getContainer(container.id)
        .inspect()
        .catch(() => undefined);
      const pid = inspected?.State?.Pid ?? 0;
      for (let attempt = 0; attempt < 20; attempt += 1) {
        try {
          await engine.docker.getContainer(container.id).remove({ force: true });
          cleanupError = undefined;
          break;
        } catch (error) {
          if ((error as { statusCode?: number }).statusCode === 404) {
            cleanupError = undefined;
            break;
          }
          cleanupError = error;
          await new Promise((resolve) => setTimeout(resolve, 500));
        }
      }
      await engine.close();
      // Podman on these hosts can drop the record of a container whose interrupted stop left its
      // process running: make sure the process is gone too.
      if (pid > 0) {
        try {
          // Only that process: a pid reused since is left alone.
          if (readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('stubborn.mjs')) process.kill(pid, 'SIGKILL');
        } catch {
          // already gone
        }
      }
      rmSync(directory, { recursive: true, force: true });
    }
    if (cleanupError) throw cleanupError;
  });
});

it('connects by every DOCKER_HOST form, and names the variable for a bad one', async () => {
  const { DockerRuntime } = await import('../src/runtime/docker-runtime.js');
  for (const dockerHost of ['unix:///run/podman/podman.sock', 'tcp://10.0.0.5:2375', 'https://docker.example:2376']) {
    expect(new DockerRuntime({ dockerHost }).kind).toBe('docker');
  }
  expect(() => new DockerRuntime({ dockerHost: 'ssh://somewhere' })).toThrow(/^DOCKER_HOST: the scheme ssh:\/\/ is not supported/);
});

function readPort(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8').trim() || undefined;
  } catch {
    return undefined;
  }
}
