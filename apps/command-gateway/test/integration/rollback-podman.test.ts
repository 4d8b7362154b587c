import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { buildImage, describeWithComponent, ensureNodeBaseImage, freePort, type PodmanEngine, probePodman, startPodman, waitFor } from '@atb/testing';
import type Docker from 'dockerode';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { DockerRuntime } from '../../src/runtime/docker-runtime.js';
import { commandRequest, type GatewayFixture, startGateway } from '../support/gateway-fixture.js';

const fixtures = join(import.meta.dirname, '..', 'fixtures');

/** An image `FROM base` with APP_VERSION in the image's environment and a version label. */
const buildVersion = (engine: PodmanEngine, base: string, tag: string, version: string) =>
  buildImage(engine, tag, `FROM ${base}\nENV APP_VERSION=${version}\nLABEL atb.image-version=${version}\n`);

describeWithComponent('Podman: rollback recreates a container from its previous image', await probePodman(), 'install it: scripts/install-system-deps.sh', () => {
  const suffix = randomBytes(4).toString('hex');
  const name = `rollback-target-${suffix}`;
  const fresh = `rollback-fresh-${suffix}`;
  const published = `rollback-published-${suffix}`;
  const tags = { v1: `localhost/atb-rollback-${suffix}:1`, v2: `localhost/atb-rollback-${suffix}:2` };
  let engine: PodmanEngine;
  let gateway: GatewayFixture<DockerRuntime>;
  let work: string;
  let dataDirectory: string;
  let port: number;
  const ids: Record<string, string> = {};

  /** Runs the fixture on the host network, or on the default bridge with `containerPort` published on loopback at `hostPort`. */
  const create = async (containerName: string, image: string, containerPort: number, hostPort?: number) => {
    const nodePrefix = dirname(dirname(process.execPath));
    const binds = ['/usr:/usr:ro', `${fixtures}:/app:ro`, `${dataDirectory}:/data:rw`];
    if (!process.execPath.startsWith('/usr/')) binds.push(`${nodePrefix}:${nodePrefix}:ro`);
    const container = await engine.docker.createContainer({
      name: containerName,
      Image: image,
      Cmd: [process.execPath, '/app/versioned-server.mjs'],
      WorkingDir: '/app',
      Env: [`PORT=${containerPort}`, 'GREETING=hello from the container', ...(hostPort ? ['HOST=0.0.0.0'] : [])],
      Labels: { 'atb.test': 'rollback' },
      StopTimeout: 5,
      ...(hostPort ? { ExposedPorts: { [`${containerPort}/tcp`]: {} } } : {}),
      HostConfig: {
        ...(hostPort ? { PortBindings: { [`${containerPort}/tcp`]: [{ HostIp: '127.0.0.1', HostPort: String(hostPort) }] } } : { NetworkMode: 'host' }),
        Binds: binds,
        RestartPolicy: { Name: 'on-failure', MaximumRetryCount: 2 },
      },
    });
    await container.start();
    return container;
  };
  const answer = async (containerPort: number) => {
    try {
      const response = await fetch(`http://127.0.0.1:${containerPort}/`, { signal: AbortSignal.timeout(1000) });
      return { status: response.status, ...((await response.json()) as { version: string; greeting: string; marker: string }) };
    } catch {
      return undefined;
    }
  };
  const inspect = (containerName: string): Promise<Docker.ContainerInspectInfo> => engine.docker.getContainer(containerName).inspect();
  const request = (target: string, intent: string, source = 'devops-agent') => commandRequest(intent, { source_id: source, target_resource: { name: target } });

  beforeAll(async () => {
    engine = await startPodman();
    work = mkdtempSync(join(tmpdir(), 'gateway-rollback-'));
    dataDirectory = mkdtempSync(join(work, 'data-'));
    writeFileSync(join(dataDirectory, 'marker'), 'mounted data\n');
    const base = await ensureNodeBaseImage(engine);
    ids.v1 = await buildVersion(engine, base, tags.v1, '1');
    ids.v2 = await buildVersion(engine, base, tags.v2, '2');
    port = await freePort();
    const policy = join(work, 'policy.yaml');
    writeFileSync(
      policy,
      [
        'targets:',
        `  names: [${name}, ${fresh}, ${published}]`,
        'sources:',
        '  devops-agent:',
        '    operations: [inspect, logs, restart, rollback]',
        `    targets: { rollback: [${name}, ${fresh}, ${published}] }`,
        '  atb-cli:',
        '    operations: [inspect, restart, rollback]',
        '',
      ].join('\n'),
    );
    gateway = await startGateway({ GATEWAY_POLICY_FILE: policy, AI_COMMAND_GATEWAY_TIMEOUT: '60' }, { runtime: new DockerRuntime({ dockerHost: engine.dockerHost }) });
  }, 240_000);

  afterAll(async () => {
    await gateway?.close();
    for (const containerName of [name, fresh, published]) await engine?.docker.getContainer(containerName).remove({ force: true }).catch(() => {});
    for (const tag of Object.values(tags)) await engine?.docker.getImage(tag).remove({ force: true }).catch(() => {});
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('after a bad deploy (v1 → v2, v2 failing) restores v1 with the same name, environment, mounts, labels and port', async () => {
    await create(name, tags.v1, port);
    await waitFor(async () => (await answer(port))?.version === '1', { timeoutMs: 20_000, description: 'v1 to answer' });
    expect((await gateway.execute(request(name, 'inspect'))).body.overall_status).toBe('success');
    // The deploy: the same container recreated from v2 (what `docker compose up` after a pull does).
    await engine.docker.getContainer(name).remove({ force: true });
    await create(name, tags.v2, port);
    await waitFor(async () => (await answer(port))?.status === 500, { timeoutMs: 20_000, description: 'v2 to answer (with 500)' });
    const seen = await gateway.execute(request(name, 'inspect'));
    expect(seen.body.execution_details.execution_result).toMatchObject({
      image: tags.v2,
      image_history: [{ image: tags.v1, image_id: ids.v1 }, { image: tags.v2, image_id: ids.v2 }],
    });
    const before = await inspect(name);

    const response = await gateway.execute(request(name, 'roll back to the previous image'));
    expect(response.body, JSON.stringify(response.body.execution_details)).toMatchObject({ overall_status: "success", plan: { operation: "rollback", target: name } });
    const result = response.body.execution_details.execution_result as { from_image: string; to_image: string; commands: string[] };
    expect(result).toMatchObject({ from_image: tags.v2, to_image: tags.v1 });
    expect(result.commands[0]).toBe(`docker stop ${name}`);
    expect(result.commands[2]).toContain(`docker run --detach --name ${name} --network host`);
    expect(result.commands[2]).toContain(`--volume ${dataDirectory}:/data:rw`);
    expect(result.commands[2]).toContain('--env GREETING=…');
    expect(result.commands[2]).not.toContain('hello from the container');

    const after = await inspect(name);
    expect(after.Id).not.toBe(before.Id);
    expect(after.Image).toBe(ids.v1);
    expect(after.State.Running).toBe(true);
    expect(after.Config.Env).toEqual(expect.arrayContaining([`PORT=${port}`, 'GREETING=hello from the container', 'APP_VERSION=1']));
    expect(after.Config.Env).not.toContain('APP_VERSION=2');
    expect(after.Config.Labels).toMatchObject({ 'atb.test': 'rollback', 'atb.image-version': '1' });
    expect(after.HostConfig.Binds).toEqual(before.HostConfig.Binds);
    expect(after.HostConfig.NetworkMode).toBe(before.HostConfig.NetworkMode);
    expect(after.HostConfig.RestartPolicy).toMatchObject({ Name: 'on-failure', MaximumRetryCount: 2 });
    const restored = await waitFor(async () => {
      const body = await answer(port);
      return body?.status === 200 ? body : undefined;
    }, { timeoutMs: 20_000, description: 'v1 to answer again' });
    expect(restored).toEqual({ status: 200, version: '1', greeting: 'hello from the container', marker: 'mounted data' });
    const containers = await engine.docker.listContainers({ all: true, filters: { name: [name] } });
    expect(containers.map((container) => container.Names[0])).toEqual([`/${name}`]);
  }, 120_000);

  it('keeps the published port mapping of a container on a bridge network', async () => {
    const containerPort = 8080;
    const hostPort = await freePort();
    await create(published, tags.v1, containerPort, hostPort);
    await waitFor(async () => (await answer(hostPort))?.version === '1', { timeoutMs: 20_000, description: 'v1 to answer on the published port' });
    expect((await gateway.execute(request(published, 'inspect'))).body.overall_status).toBe('success');
    await engine.docker.getContainer(published).remove({ force: true });
    await create(published, tags.v2, containerPort, hostPort);
    await waitFor(async () => (await answer(hostPort))?.status === 500, { timeoutMs: 20_000, description: 'v2 to answer (with 500) on the published port' });
    expect((await gateway.execute(request(published, 'inspect'))).body.overall_status).toBe('success');
    const before = await inspect(published);
    expect(before.HostConfig.PortBindings).toEqual({ '8080/tcp': [{ HostIp: '127.0.0.1', HostPort: String(hostPort) }] });

    const response = await gateway.execute(request(published, 'roll back to the previous image'));
    expect(response.body, JSON.stringify(response.body.execution_details)).toMatchObject({ overall_status: 'success', plan: { operation: 'rollback', target: published } });
    const result = response.body.execution_details.execution_result as { to_image: string; commands: string[] };
    expect(result.to_image).toBe(tags.v1);
    expect(result.commands[2]).toContain(`--publish 127.0.0.1:${hostPort}:8080`);
    expect(result.commands[2]).not.toContain('--network');

    const after = await inspect(published);
    expect(after.Id).not.toBe(before.Id);
    expect(after.Image).toBe(ids.v1);
    expect(after.HostConfig.PortBindings).toEqual(before.HostConfig.PortBindings);
    expect(after.HostConfig.NetworkMode).toBe(before.HostConfig.NetworkMode);
    expect(after.NetworkSettings.Ports).toEqual({ '8080/tcp': [{ HostIp: '127.0.0.1', HostPort: String(hostPort) }] });
    const restored = await waitFor(async () => {
      const body = await answer(hostPort);
      return body?.status === 200 ? body : undefined;
    }, { timeoutMs: 20_000, description: 'v1 to answer again on the same published port' });
    expect(restored).toMatchObject({ version: '1', greeting: 'hello from the container', marker: 'mounted data' });
  }, 120_000);

  it('is rejected, changing nothing, for a source the policy does not grant rollback on that target', async () => {
    const before = await inspect(name);
    const response = await gateway.execute(request(name, 'roll back to the previous image', 'atb-cli'));
    expect(response.body).toMatchObject({ overall_status: 'rejected', reason_code: 'operation_not_allowed' });
    expect(response.body.reason).toContain(`may not rollback "${name}": rollback is granted per target`);
    const after = await inspect(name);
    expect(after.Id).toBe(before.Id);
    expect(after.State.StartedAt).toBe(before.State.StartedAt);
  });

  it('is rejected, changing nothing, when no earlier image was ever seen for the target', async () => {
    const freshPort = await freePort();
    await create(fresh, tags.v1, freshPort);
    await waitFor(async () => (await answer(freshPort))?.version === '1', { timeoutMs: 20_000, description: 'the fresh container to answer' });
    const before = await inspect(fresh);
    const response = await gateway.execute(request(fresh, 'roll back to the previous image'));
    expect(response.body).toMatchObject({ overall_status: 'rejected', reason_code: 'no_previous_image' });
    expect(response.body.reason).toContain(`no earlier image recorded for "${fresh}"`);
    const after = await inspect(fresh);
    expect(after.Id).toBe(before.Id);
    expect(after.State.StartedAt).toBe(before.State.StartedAt);
  }, 60_000);
});
