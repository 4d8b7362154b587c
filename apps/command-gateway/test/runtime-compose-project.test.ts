import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeWithComponent } from '@atb/testing';
import { type NodeContainer, probePodman, runNodeContainer, startPodman } from '@atb/testing/podman';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { RuntimeNotFoundError } from '../src/runtime/container-runtime.js';
import { DockerRuntime } from '../src/runtime/docker-runtime.js';

// GATEWAY_COMPOSE_PROJECT on the real engine: names are compose services of one project, and
// nothing outside the project (another project's service of the same name, a container started
// by hand) can be found, listed or acted on.
describeWithComponent('Podman', await probePodman(), 'install it: bash scripts/install-system-deps.sh', () => {
  const suffix = randomBytes(4).toString('hex');
  const project = `atb-deploy-test-${suffix}`;
  const directory = mkdtempSync(join(tmpdir(), 'atb-deploy-compose-scope-'));
  const containers: NodeContainer[] = [];
  let runtime: DockerRuntime;
  let inProjectId = '';

  beforeAll(async () => {
    writeFileSync(join(directory, 'idle.mjs'), "process.on('SIGTERM', () => process.exit(0)); setInterval(() => {}, 1000);");
    const engine = await startPodman();
    const start = async (name: string, labels: Record<string, string>) => {
      const container = await runNodeContainer(engine, { name, appDirectory: directory, script: 'idle.mjs', labels, stopTimeoutSeconds: 2 });
      containers.push(container);
      return container;
    };
    const inProject = await start(`${project}_web_1`, { 'com.docker.compose.project': project, 'com.docker.compose.service': 'web' });
    inProjectId = inProject.id;
    await start(`atb-deploy-test-other-${suffix}_web_1`, {
      'com.docker.compose.project': `atb-deploy-test-other-${suffix}`,
      'com.docker.compose.service': 'web',
    });
    await start(`atb-deploy-test-outsider-${suffix}`, {});
    runtime = new DockerRuntime({ dockerHost: engine.dockerHost, composeProject: project });
  });

  afterAll(async () => {
    for (const container of containers) await container.remove();
    rmSync(directory, { recursive: true, force: true });
  });

  it('resolves a service name to that project’s container and lists only the project', async () => {
    const details = await runtime.inspect('web');
    expect(details.id).toBe(inProjectId);
    expect(details.name).toBe('web');
    expect(details.labels['com.docker.compose.project']).toBe(project);
    const listed = await runtime.list();
    expect(listed.map((container) => [container.id, container.name])).toEqual([[inProjectId, 'web']]);
  });

  it('finds nothing outside the project, by service name or by container name', async () => {
    await expect(runtime.inspect(`atb-deploy-test-outsider-${suffix}`)).rejects.toBeInstanceOf(RuntimeNotFoundError);
    await expect(runtime.restart(`atb-deploy-test-outsider-${suffix}`, { timeoutSeconds: 1 })).rejects.toBeInstanceOf(RuntimeNotFoundError);
    await expect(runtime.inspect(`atb-deploy-test-other-${suffix}_web_1`)).rejects.toBeInstanceOf(RuntimeNotFoundError);
    await expect(runtime.inspect(`${project}_web_1`)).rejects.toBeInstanceOf(RuntimeNotFoundError);
  });

  it('restarts the project’s container by its service name', async () => {
    const before = await runtime.inspect('web');
    await runtime.restart('web', { timeoutSeconds: 2 });
    const after = await runtime.inspect('web');
    expect(after.id).toBe(inProjectId);
    expect(after.started_at).not.toBe(before.started_at);
  });
});
