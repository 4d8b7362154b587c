import { describe, expect, it } from 'vitest';
import { ContainerEventHub } from '../src/events/container-event-hub.js';
import { GatewayOperations } from '../src/events/gateway-operations.js';
import { loadPolicy } from '../src/policy/policy.js';
import type { RuntimeEvent } from '../src/runtime/container-runtime.js';
import { FakeRuntime } from './support/fake-runtime.js';

function setup() {
  const runtime = new FakeRuntime([{ name: 'web' }, { name: 'labelled', labels: { 'atb.role': 'service' } }, { name: 'stranger' }]);
  const operations = new GatewayOperations();
  const hub = new ContainerEventHub({
    runtime,
    policy: loadPolicy({ allowedTargets: ['web', 'label:atb.role=service'] }),
    operations,
    capacity: 10,
  });
  hub.start();
  const received: unknown[] = [];
  hub.listen((event) => received.push(event));
  return { runtime, operations, hub, received };
}

const event = (target: string, type: RuntimeEvent['type'], extra: Partial<RuntimeEvent> = {}): RuntimeEvent => ({
  type,
  target,
  container_id: `id-${target}`,
  time: new Date().toISOString(),
  labels: {},
  ...extra,
});

describe('the container event hub', () => {
  it('serves allowlisted targets only, by name or by label, with the labels the engine reported', async () => {
    const { runtime, hub, received } = setup();
    runtime.emit(event('web', 'container-died', { exit_code: 1 }));
    runtime.emit(event('stranger', 'container-died', { exit_code: 1 }));
    runtime.emit(event('stranger', 'container-oom', { labels: { 'atb.role': 'other' } }));
    runtime.emit(event('labelled', 'container-health-changed', { labels: { 'atb.role': 'service' }, health_status: 'unhealthy' }));
    expect(received).toMatchObject([
      { target: 'web', type: 'container-died', exit_code: 1, initiated_by: 'external', runtime: 'fake' },
      { target: 'labelled', type: 'container-health-changed', health_status: 'unhealthy', labels: { 'atb.role': 'service' } },
    ]);
    // A container without labels carries none: consumers match it by name.
    expect(received[0]).not.toHaveProperty('labels');
    await hub.close();
  });

  it("marks what the gateway's own request did, and nothing else", async () => {
    const { runtime, operations, hub, received } = setup();
    const wrapped = operations.wrap(runtime);
    await operations.runAs('request-1', () => wrapped.restart('web'));
    runtime.emit(event('web', 'container-restarted'));
    runtime.emit(event('web', 'container-oom'));
    runtime.emit(event('web', 'container-died', { time: new Date(Date.now() + 10_000).toISOString(), exit_code: 137 }));
    await wrapped.restart('web'); // not inside a request: not the gateway's
    runtime.emit(event('labelled', 'container-started', { labels: { 'atb.role': 'service' } }));
    expect(received).toMatchObject([
      { type: 'container-restarted', initiated_by: 'gateway', request_id: 'request-1', operation: 'restart' },
      { type: 'container-oom', initiated_by: 'external' },
      { type: 'container-died', initiated_by: 'external' },
      { type: 'container-started', target: 'labelled', initiated_by: 'external' },
    ]);
    expect((received[1] as { request_id?: string }).request_id).toBeUndefined();
    await hub.close();
  });

  it('a death dated after a restart settled is a new failure, though its start is still the restart', async () => {
    const { runtime, operations, hub, received } = setup();
    const wrapped = operations.wrap(runtime);
    const before = Date.now();
    await operations.runAs('request-2', () => wrapped.restart('web'));
    const settled = Date.now();
    runtime.emit(event('web', 'container-died', { time: new Date(before).toISOString(), exit_code: 143 }));
    runtime.emit(event('web', 'container-started', { time: new Date(settled + 1000).toISOString() }));
    runtime.emit(event('web', 'container-died', { time: new Date(settled + 1000).toISOString(), exit_code: 1 }));
    expect(received).toMatchObject([
      { type: 'container-died', exit_code: 143, initiated_by: 'gateway', request_id: 'request-2' },
      { type: 'container-started', initiated_by: 'gateway', request_id: 'request-2' },
      { type: 'container-died', exit_code: 1, initiated_by: 'external' },
    ]);
    // A stop's own exit may be reported just after the call returned: still the stop's.
    await operations.runAs('request-3', () => wrapped.stop('web'));
    runtime.emit(event('web', 'container-died', { time: new Date(Date.now() + 1000).toISOString(), exit_code: 143 }));
    expect(received[3]).toMatchObject({ type: 'container-died', initiated_by: 'gateway', request_id: 'request-3', operation: 'stop' });
    await hub.close();
  });
});
