import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describeWithComponent } from '@atb/testing';
import { ensureNodeBaseImage, hostNodeBinds, probePodman, startPodman } from '@atb/testing/podman';
import { expect, it } from 'vitest';
import { DockerRuntime } from '../src/runtime/docker-runtime.js';
import { EventRecorder } from './runtime-events.contract.js';

const run = promisify(execFile);

describeWithComponent('Podman', await probePodman(), 'install it: bash scripts/install-system-deps.sh', () => {
  it("reports a healthcheck's result as container-health-changed with its status", async () => {
    const engine = await startPodman();
    const directory = mkdtempSync(join(tmpdir(), 'atb-events-test-health-'));
    writeFileSync(join(directory, 'idle.mjs'), "process.on('SIGTERM', () => process.exit(0)); setInterval(() => {}, 1000);");
    const name = `atb-events-test-health-${randomBytes(4).toString('hex')}`;
    const runtime = new DockerRuntime({ dockerHost: engine.dockerHost });
    const recorder = new EventRecorder(runtime);
    const container = await engine.docker.createContainer({
      name,
      Image: await ensureNodeBaseImage(engine),
      Cmd: [process.execPath, '/app/idle.mjs'],
      // A check that always fails; Interval 0: run only when asked (no systemd timers here).
      Healthcheck: { Test: ['CMD', '/usr/bin/false'], Interval: 0, Retries: 1 },
      HostConfig: { NetworkMode: 'host', Binds: [...hostNodeBinds(), `${directory}:/app:ro`] },
    });
    try {
      await recorder.until(() => recorder.connections > 0, 'the stream to open');
      await container.start();
      const environment = { ...process.env, CONTAINERS_CONF: engine.containersConf };
      for (let attempt = 0; attempt < 2; attempt++) {
        await run('podman', ['healthcheck', 'run', name], { env: environment }).catch(() => undefined); // exits 1: unhealthy
      }
      const changed = await recorder.until(() => recorder.of(name, 'container-health-changed')[0], 'container-health-changed');
      expect(changed.health_status).toMatch(/^(starting|healthy|unhealthy)$/);
      expect(recorder.of(name, 'container-died')).toEqual([]); // the failed check's exec_died is not the container's death
    } finally {
      await recorder.close();
      await container.remove({ force: true });
      rmSync(directory, { recursive: true, force: true });
    }
  });
});
