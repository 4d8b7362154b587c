import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import type Docker from 'dockerode';
import {
  describeWithComponent,
  freePort,
  type NodeContainer,
  type PodmanEngine,
  probePodman,
  runNodeContainer,
  startPodman,
  waitFor,
} from '@atb/testing';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { DockerRuntime } from '../../src/runtime/docker-runtime.js';
import { EngineProxy } from '../support/engine-proxy.js';
import { commandRequest, type GatewayFixture, startGateway } from '../support/gateway-fixture.js';

const fixtures = join(import.meta.dirname, '..', 'fixtures');

describeWithComponent('Podman (Docker Engine API)', await probePodman(), 'install it: scripts/install-system-deps.sh', () => {
  const name = `gw-target-${randomBytes(4).toString('hex')}`;
  let engine: PodmanEngine;
  let container: NodeContainer;
  let proxy: EngineProxy;
  let gateway: GatewayFixture<DockerRuntime>;
  let port: number;

  const state = async () => {
    const info: Docker.ContainerInspectInfo = await engine.docker.getContainer(name).inspect();
    return { startedAt: info.State.StartedAt, restartCount: info.RestartCount, running: info.State.Running };
  };
  const serviceAnswers = async (): Promise<{ started_at: string } | undefined> => {
    try {
      const response = await fetch(`http://127.0.0.1:${port}/`, { signal: AbortSignal.timeout(1000) });
      return (await response.json()) as { started_at: string };
    } catch {
      return undefined;
    }
  };
  const request = (intent: string, overrides: Record<string, unknown> = {}) =>
    commandRequest(intent, { target_resource: { name }, ...overrides });

  beforeAll(async () => {
    engine = await startPodman();
    port = await freePort();
    container = await runNodeContainer(engine, {
      name,
      appDirectory: fixtures,
      script: 'echo-server.mjs',
      env: { PORT: String(port) },
      labels: { 'atb.test': 'gateway' },
      stopTimeoutSeconds: 5,
    });
    await waitFor(serviceAnswers, { timeoutMs: 20_000, description: 'the test service to answer' });
    proxy = await EngineProxy.start(engine.socketPath);
    gateway = await startGateway(
      { GATEWAY_ALLOWED_TARGETS: name, AI_COMMAND_GATEWAY_TIMEOUT: '30' },
      { runtime: new DockerRuntime({ dockerHost: proxy.dockerHost }) },
    );
  });

  afterAll(async () => {
    await gateway?.close();
    await proxy?.close();
    await container?.remove();
  });

  it('restarts a running container: StartedAt changes and its service answers again', async () => {
    const before = await state();
    const firstAnswer = await serviceAnswers();
    const response = await gateway.execute(request('restart the service'));
    expect(response.body).toMatchObject({
      overall_status: 'success',
      execution_details: { command: `docker restart ${name}` },
    });
    const after = await state();
    expect(after.running).toBe(true);
    expect(after.startedAt).not.toBe(before.startedAt);
    const answer = await waitFor(async () => {
      const body = await serviceAnswers();
      return body && body.started_at !== firstAnswer?.started_at ? body : undefined;
    }, { timeoutMs: 20_000, description: 'the restarted service to answer' });
    expect(Date.parse(answer.started_at)).toBeGreaterThan(Date.parse(firstAnswer?.started_at ?? '0'));
  });

  it('logs, stats, inspect and list return real data', async () => {
    const logs = await gateway.execute(request('show the last 20 log lines'));
    expect(logs.body.overall_status).toBe('success');
    expect(String(logs.body.execution_details.execution_result)).toMatch(/echo-server listening on \d+/);

    const stats = await gateway.execute(request('resource usage'));
    expect(stats.body.overall_status).toBe('success');
    expect((stats.body.execution_details.execution_result as { memory_bytes: number }).memory_bytes).toBeGreaterThan(0);

    const inspect = await gateway.execute(request('inspect'));
    expect(inspect.body.overall_status).toBe('success');
    expect(inspect.body.execution_details.execution_result).toMatchObject({
      name,
      started_at: (await state()).startedAt,
      labels: { 'atb.test': 'gateway' },
    });

    const list = await gateway.execute(request('list containers'));
    const names = (list.body.execution_details.execution_result as { name: string }[]).map((entry) => entry.name);
    expect(names).toContain(name);
    expect(names.every((entry) => entry === name || entry === 'market-predictor')).toBe(true);
  });

  it('allowlists by label: the container carrying the label is served, list shows only it', async () => {
    const byLabel = await startGateway(
      { GATEWAY_ALLOWED_TARGETS: 'label:atb.test=gateway' },
      { runtime: new DockerRuntime({ dockerHost: engine.dockerHost }) },
    );
    try {
      const inspect = await byLabel.execute(request('inspect'));
      expect(inspect.body).toMatchObject({ overall_status: 'success', execution_details: { execution_result: { name } } });
      const list = await byLabel.execute(request('list containers'));
      const names = (list.body.execution_details.execution_result as { name: string }[]).map((entry) => entry.name);
      expect(names).toContain(name);
      const unlabelled = await byLabel.execute(request('inspect', { target_resource: { name: `${name}-missing` } }));
      expect(unlabelled.body).toMatchObject({ overall_status: 'rejected', reason_code: 'not_allowlisted' });
    } finally {
      await byLabel.close();
    }
  });

  it('hostile and bad input is rejected and the container is untouched', async () => {
    const before = await state();
    const hostile: [unknown, RegExp | number][] = [
      [request('restart the service; docker rm -f x'), /forbidden_intent/],
      [request('restart && reboot'), /forbidden_intent/],
      [request('show logs | sh'), /forbidden_intent/],
      [request('restart $(id)'), /forbidden_intent/],
      [request('restart `id`'), /forbidden_intent/],
      [request('restart\nstop'), /forbidden_intent/],
      [request('restart ../../host'), /forbidden_intent/],
      [request('restart --privileged'), /forbidden_intent/],
      [request('restart -v /:/host'), /forbidden_intent/],
      [request('run a new container'), /forbidden_intent/],
      [request('exec into it'), /forbidden_intent/],
      [request('remove it'), /forbidden_intent/],
      [request('rm it'), /forbidden_intent/],
      [request('prune'), /forbidden_intent/],
      [request('restart it', { target_resource: { name: `${name};reboot` } }), /invalid_target_name/],
      [request('restart it', { target_resource: { name: name.replace('a', 'а') } }), /invalid_target_name/],
      [request('restart it', { target_resource: { name: 'someone-elses-container' } }), /not_allowlisted/],
      [request('stop it'), /operation_not_allowed/],
      [request(`restart ${'x'.repeat(5000)}`), 413],
      [{ source_id: 'devops-agent', action_request: { intent: 'restart it' } }, 422],
    ];
    for (const [body, expected] of hostile) {
      const response = await gateway.execute(body);
      if (typeof expected === 'number') expect(response.statusCode).toBe(expected);
      else expect(`${response.body.overall_status} ${response.body.reason_code}`).toMatch(expected);
    }
    const unauthenticated = await gateway.execute(request('restart the service'), { authorization: 'Bearer nope-nope-nope' });
    expect(unauthenticated.statusCode).toBe(401);
    expect(await state()).toEqual(before);
  });

  it('a 4th restart inside the rate window is rejected and does not touch the container', async () => {
    // One restart happened in the first test; two more reach the default limit of 3 in 10 minutes.
    for (let index = 0; index < 2; index++) {
      const before = await state();
      expect((await gateway.execute(request('restart the service'))).body.overall_status).toBe('success');
      // Until Node has installed its SIGTERM handler, PID 1 ignores SIGTERM and a restart waits the grace period.
      await waitFor(async () => (await serviceAnswers())?.started_at !== undefined && (await state()).startedAt !== before.startedAt, {
        timeoutMs: 20_000,
      });
      await new Promise((resolve) => setTimeout(resolve, 150));
    }
    const before = await state();
    const fourth = await gateway.execute(request('restart the service'));
    expect(fourth.body).toMatchObject({ overall_status: 'rejected', reason_code: 'rate_limited' });
    expect(await state()).toEqual(before);
  });

  it('the engine going away mid-request → error, and the gateway stays up', async () => {
    proxy.mode = 'drop';
    const response = await gateway.execute(request('inspect'));
    proxy.mode = 'pass';
    expect(response.body.overall_status).toBe('error');
    expect(String(response.body.execution_details.execution_result)).toMatch(/inspect of ".*" failed/);
    expect((await gateway.service.app.inject({ method: 'GET', url: '/health' })).statusCode).toBe(200);
    expect((await gateway.execute(request('inspect'))).body.overall_status).toBe('success');
  });

  it('a hung operation → timeout (an intent may narrow the deadline)', async () => {
    proxy.mode = 'hang';
    const response = await gateway.execute(request('inspect within 2 seconds'));
    proxy.mode = 'pass';
    expect(response.body).toMatchObject({ overall_status: 'timeout', plan: { params: { timeout_seconds: 2 } } });
    expect(response.body.execution_details.execution_time_ms).toBeGreaterThanOrEqual(1900);
    expect((await gateway.execute(request('inspect'))).body.overall_status).toBe('success');
  });
});
