import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeWithComponent, type PodmanEngine, probePodman, runNodeContainer, startPodman } from '@atb/testing';
import { DockerRuntime } from '../../src/runtime/docker-runtime.js';
import { gatewayEventsSuite } from '../gateway-events.cases.js';
import { startGateway } from '../support/gateway-fixture.js';

describeWithComponent('Podman (Docker Engine API events)', await probePodman(), 'install it: scripts/install-system-deps.sh', () => {
  gatewayEventsSuite(async () => {
    // A private API service, so the test can restart it; the containers keep running meanwhile.
    const directory = mkdtempSync(join(tmpdir(), 'atb-events-test-'));
    writeFileSync(join(directory, 'idle.mjs'), "process.on('SIGTERM', () => process.exit(0)); setInterval(() => {}, 1000);");
    let engine: PodmanEngine = await startPodman({ directory, idleTimeoutSeconds: 300 });
    const suffix = randomBytes(4).toString('hex');
    const containers = await Promise.all(
      [`atb-events-test-${suffix}`, `atb-events-test-other-${suffix}`].map((name) =>
        runNodeContainer(engine, { name, appDirectory: directory, script: 'idle.mjs', stopTimeoutSeconds: 5 }),
      ),
    );
    const [target, other] = containers.map((container) => container.name) as [string, string];
    const gateway = await startGateway(
      { GATEWAY_ALLOWED_TARGETS: target },
      { runtime: new DockerRuntime({ dockerHost: engine.dockerHost }), events: { heartbeatMs: 200 } },
    );
    const baseUrl = await gateway.service.listen();
    return {
      gateway,
      baseUrl,
      engine: new DockerRuntime({ dockerHost: engine.dockerHost }),
      target,
      other,
      async restartEngine(whileDown) {
        await engine.close();
        try {
          await whileDown();
        } finally {
          engine = await startPodman({ directory, idleTimeoutSeconds: 300 });
        }
      },
      async close() {
        await gateway.close();
        for (const container of containers) await container.remove();
        await engine.close();
        rmSync(directory, { recursive: true, force: true });
      },
    };
  });
});
