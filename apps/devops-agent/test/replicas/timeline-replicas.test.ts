import { agentTimelineEventSchema } from '@atb/contracts';
import type { ServerSentEvent } from '@atb/clients';
import { createTestSchema, describeWithComponent, probePostgres } from '@atb/testing';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { AUTHORIZED, alert, eventually, notification, RealGateway, startAgent } from '../support/agent-harness.js';
import { readEventsUntil } from '../support/read-events.js';

const parsed = (events: ServerSentEvent[]) => events.map((event) => agentTimelineEventSchema.parse(JSON.parse(event.data)));

/**
 * Two agent replicas (separate apps, each with its own pool and worker) on one PostgreSQL schema.
 * A client streams the dashboard's timeline (`GET /dashboard/events`) from replica A while
 * replica B takes in an alert and a human rejects the proposed action on B: the client on A
 * receives every entry, in order. The stream reads the shared store, so it carries whatever any
 * replica records.
 */
describeWithComponent('PostgreSQL', await probePostgres(), 'start it: pg_ctlcluster 15 main start', () => {
  let schema: Awaited<ReturnType<typeof createTestSchema>>;
  let gateway: RealGateway;
  const replicas: Awaited<ReturnType<typeof startAgent>>[] = [];
  const urls: string[] = [];

  beforeAll(async () => {
    schema = await createTestSchema('agent_timeline_replicas');
    gateway = new RealGateway({ targets: ['predictor-1'] });
    await gateway.start();
    // One after the other: the first one migrates the shared schema.
    for (const name of ['agent-a', 'agent-b']) {
      const started = await startAgent({
        DATABASE_URL: schema.url,
        DATABASE_SCHEMA: schema.schema,
        REPLICA_ID: name,
        AI_COMMAND_GATEWAY_URL: gateway.url,
        MARKET_PREDICTOR_URL: gateway.url,
        SAFETY_MODE: 'true',
      });
      replicas.push(started);
      urls.push(await started.agent.listen());
    }
  }, 120_000);
  afterAll(async () => {
    await Promise.all(replicas.map((replica) => replica.close()));
    await gateway?.stop();
    await schema?.drop();
  });

  it("streams to a client on replica A what replica B records: B's incident, its proposed action, B's rejection", async () => {
    const [onA, onB] = urls as [string, string];
    const live = readEventsUntil(`${onA}/dashboard/events?after=0`, { headers: AUTHORIZED, timeoutMs: 30_000, until: (events) => parsed(events).some((event) => event.type === 'action-proposed') });
    const firing = alert({ alertname: 'MarketPredictorDown', service: 'market-predictor', container: 'predictor-1', severity: 'critical' });
    const delivered = await fetch(`${onB}/webhook/alerts`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(notification([firing])) });
    expect(delivered.status).toBe(200);
    const first = parsed(await live);
    const incidents = ((await (await fetch(`${onB}/incidents`, { headers: AUTHORIZED })).json()) as { incidents: { id: string }[] }).incidents;
    expect(incidents).toHaveLength(1);
    expect(first.map((event) => event.type)).toEqual(expect.arrayContaining(['incident-opened', 'action-proposed']));
    expect(first.every((event) => event.incident_id === incidents[0]!.id)).toBe(true);
    expect(first.map((event) => event.id)).toEqual([...first.map((event) => event.id)].sort((left, right) => left - right));

    // B rejects the action; the client on A, resuming after the last entry it saw, receives it.
    const pending = await eventually(
      async () => ((await (await fetch(`${onB}/actions?status=pending`, { headers: AUTHORIZED })).json()) as { actions: { id: string }[] }).actions[0],
      10_000,
      'the pending action on B',
    );
    const resumed = readEventsUntil(`${onA}/dashboard/events`, {
      headers: { ...AUTHORIZED, 'last-event-id': String(first.at(-1)!.id) },
      timeoutMs: 30_000,
      until: (events) => parsed(events).some((event) => event.type === 'action-rejected'),
    });
    const rejected = await fetch(`${onB}/actions/${pending.id}/reject`, { method: 'POST', headers: { ...AUTHORIZED, 'content-type': 'application/json' }, body: JSON.stringify({ reason: 'not now' }) });
    expect(rejected.status).toBe(200);
    const after = parsed(await resumed);
    expect(after.map((event) => event.type)).toContain('action-rejected');
    expect(after.every((event) => event.id > first.at(-1)!.id)).toBe(true);
  }, 90_000);
});
