import type { ContainerEvent } from '@atb/contracts';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { ContainerRuntime } from '../src/runtime/container-runtime.js';
import { commandRequest, type GatewayFixture } from './support/gateway-fixture.js';
import { SseClient } from './support/sse-client.js';

/** What each runtime's test file provides to the gateway's `GET /events` cases. */
export interface GatewayEventsFixture {
  gateway: GatewayFixture<ContainerRuntime>;
  /** The gateway over a real socket. */
  baseUrl: string;
  /** The same engine, used "by hand" (not through the gateway). */
  engine: ContainerRuntime;
  /** Allowlisted and running. */
  target: string;
  /** Running, not allowlisted. */
  other: string;
  /** Stops the engine the gateway follows, runs `whileDown`, brings it back. */
  restartEngine(whileDown: () => Promise<void>): Promise<void>;
  close(): Promise<void>;
}

const pause = (milliseconds: number) => new Promise((resolve) => setTimeout(resolve, milliseconds));

/**
 * `GET /events` end to end on a real runtime: authentication, one `container-died` per crash,
 * the gateway's own restarts marked, resumes without gaps, and nothing lost or repeated across
 * an engine restart. Run once per runtime (Docker Engine API on Podman, `atb up`'s supervisor).
 */
export function gatewayEventsSuite(setup: () => Promise<GatewayEventsFixture>): void {
  let fixture: GatewayEventsFixture;
  const clients: SseClient[] = [];
  const open = async (headers: Record<string, string> = {}) => {
    const client = await SseClient.open(`${fixture.baseUrl}/events`, { authorization: `Bearer ${fixture.gateway.token}`, ...headers });
    clients.push(client);
    return client;
  };
  const killByHand = async (name: string) => {
    const { pid } = await fixture.engine.inspect(name);
    process.kill(pid ?? 0, 'SIGKILL');
  };
  const startedAgain = async (client: SseClient, count: number) =>
    client.until(() => client.events(fixture.target).filter((event) => event.type === 'container-started').length >= count, `${count} container-started`);

  beforeAll(async () => {
    fixture = await setup();
  });
  afterAll(async () => {
    for (const client of clients) await client.close();
    await fixture?.close();
  });

  it('answers 401 without the right token, and serves the stream with it (with heartbeats)', async () => {
    const refused: Record<string, string>[] = [{}, { authorization: 'Bearer not-the-token-at-all' }];
    for (const headers of refused) {
      const response = await fetch(`${fixture.baseUrl}/events`, { headers });
      expect(response.status).toBe(401);
      await response.body?.cancel();
    }
    const client = await open();
    expect(client.status).toBe(200);
    await client.until(() => client.comments >= 3, 'heartbeats');
    const status = await fixture.gateway.service.app.inject({ method: 'GET', url: '/status' });
    expect(status.json()).toMatchObject({ events: { connected: true } });
  });

  it('a kill by hand is one container-died with its exit code; a non-allowlisted container is not served', async () => {
    const client = await open();
    await client.until(() => client.comments > 0, 'the stream to open');
    await killByHand(fixture.other);
    await killByHand(fixture.target);
    const died = await client.until(() => client.events(fixture.target).find((event) => event.type === 'container-died'), 'container-died');
    expect(died).toMatchObject({ target: fixture.target, exit_code: 137, initiated_by: 'external' });
    expect(died.request_id).toBeUndefined();
    await fixture.engine.start(fixture.target);
    await fixture.engine.start(fixture.other);
    await startedAgain(client, 1);
    await pause(1000);
    expect(client.events(fixture.target).filter((event) => event.type === 'container-died')).toHaveLength(1);
    expect(client.events(fixture.other)).toEqual([]);
  });

  it("marks the gateway's own restart with initiated_by gateway and the request id", async () => {
    const client = await open();
    await client.until(() => client.comments > 0, 'the stream to open');
    const response = await fixture.gateway.execute(commandRequest('restart the service', { target_resource: { name: fixture.target } }));
    expect(response.body.overall_status).toBe('success');
    await client.until(() => client.events(fixture.target).some((event) => event.type === 'container-restarted'), 'container-restarted');
    await startedAgain(client, 1);
    const events = client.events(fixture.target);
    expect(events.map((event) => event.type)).toContain('container-died');
    for (const event of events) {
      expect(event).toMatchObject({ initiated_by: 'gateway', request_id: response.body.request_id, operation: 'restart' });
    }
  });

  it('resumes with Last-Event-ID: the events after it, in order, none missing, none twice', async () => {
    const continuous = await open();
    const first = await open();
    await first.until(() => first.comments > 0, 'the stream to open');
    await killByHand(fixture.target);
    await first.until(() => first.events(fixture.target).some((event) => event.type === 'container-died'), 'container-died');
    await first.close();
    const lastId = first.lastId as string;
    await fixture.engine.start(fixture.target);
    await fixture.engine.restart(fixture.target, { timeoutSeconds: 5 });
    await continuous.until(() => continuous.events(fixture.target).some((event) => event.type === 'container-restarted'), 'the restart');
    await pause(500);
    const resumed = await open({ 'last-event-id': lastId });
    const expected = continuous.events().filter((event) => BigInt(event.id) > BigInt(lastId));
    expect(expected.length).toBeGreaterThanOrEqual(3);
    await resumed.until(() => resumed.events().length >= expected.length, 'the replayed events');
    expect(resumed.messages.some((message) => message.event === 'events-missed')).toBe(false);
    // An event the engine reports late may reach both streams after the snapshot above: compare
    // what the resumed stream holds with the live stream's events after the same id, as many.
    const replayed = resumed.events().map((event) => event.id);
    const liveAfter = () => continuous.events().filter((event) => BigInt(event.id) > BigInt(lastId));
    await continuous.until(() => liveAfter().length >= replayed.length, 'the live stream to hold as many');
    expect(replayed).toEqual(liveAfter().slice(0, replayed.length).map((event) => event.id));
    expect(consecutive([...first.events(), ...resumed.events()])).toBe(true);
  });

  it('says events-missed for a Last-Event-ID it did not hand out, then replays what it holds', async () => {
    const client = await open({ 'last-event-id': '12' });
    await client.until(() => client.messages.length > 0, 'a message');
    expect(client.messages[0]).toMatchObject({ event: 'events-missed', data: { type: 'events-missed', last_event_id: '12' } });
    expect(client.messages[0]?.id).toBeUndefined();
  });

  it('after the engine restarts, events are neither lost nor duplicated', async () => {
    const client = await open();
    await client.until(() => client.comments > 0, 'the stream to open');
    await fixture.engine.restart(fixture.target, { timeoutSeconds: 5 });
    await startedAgain(client, 1);
    const { pid } = await fixture.engine.inspect(fixture.target);
    await fixture.restartEngine(async () => {
      process.kill(pid ?? 0, 'SIGKILL');
      await pause(1000);
    });
    const killed = () => client.events(fixture.target).filter((event) => event.type === 'container-died' && event.exit_code === 137);
    await client.until(() => killed()[0], 'the died event from while the engine was down', 30_000);
    await fixture.engine.start(fixture.target);
    await startedAgain(client, 2);
    await pause(1500);
    const events = client.events(fixture.target);
    expect(killed()).toHaveLength(1);
    expect(events.filter((event) => event.type === 'container-restarted')).toHaveLength(1);
    const identities = events.map((event) => `${event.container_id}|${event.type}|${event.time}`);
    expect(new Set(identities).size).toBe(identities.length);
    expect(consecutive(client.events())).toBe(true);
  });
}

/** Whether the ids are one run of consecutive numbers (no gap, no repeat). */
function consecutive(events: ContainerEvent[]): boolean {
  return events.every((event, index) => index === 0 || BigInt(event.id) === BigInt(events[index - 1]?.id ?? '0') + 1n);
}
