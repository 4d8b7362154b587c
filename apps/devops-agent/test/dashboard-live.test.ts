import { agentTimelineEventSchema } from '@atb/contracts';
import type { ServerSentEvent } from '@atb/clients';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { deliverable } from '../src/dashboard/timeline-stream.js';
import type { IncidentEvent } from '../src/store/agent-store.js';
import { AUTHORIZED, alert, notification, RealGateway, startAgent } from './support/agent-harness.js';
import { readEventsUntil } from './support/read-events.js';

const entry = (id: number, ageMs: number): IncidentEvent => ({ id, incident_id: 'inc', at: new Date(Date.now() - ageMs).toISOString(), type: 't', data: {} });

describe('timeline stream: what may be sent', () => {
  it('sends up to the first hole until the entry after it has settled', () => {
    const now = Date.now();
    expect(deliverable([entry(1, 0), entry(2, 0), entry(4, 0)], 0, now, 2000).map((e) => e.id)).toEqual([1, 2]);
    expect(deliverable([entry(4, 0), entry(5, 0)], 2, now, 2000)).toEqual([]);
    // A hole older than the settle time is a rolled-back id: what follows it is sent.
    expect(deliverable([entry(4, 5000), entry(5, 0)], 2, now, 2000).map((e) => e.id)).toEqual([4, 5]);
    expect(deliverable([entry(3, 0), entry(4, 0)], 2, now, 2000).map((e) => e.id)).toEqual([3, 4]);
  });
});

describe('GET /dashboard/events (server-sent events)', () => {
  let started: Awaited<ReturnType<typeof startAgent>>;
  let gateway: RealGateway;
  let baseUrl: string;

  beforeEach(async () => {
    gateway = new RealGateway({ targets: ['predictor-1'] });
    await gateway.start();
    started = await startAgent({ AI_COMMAND_GATEWAY_URL: gateway.url, MARKET_PREDICTOR_URL: gateway.url, SAFETY_MODE: 'true' });
    baseUrl = await started.agent.listen();
  });
  afterEach(async () => {
    await started?.close();
    await gateway?.stop();
  });

  const read = (headers: Record<string, string>, query: string, until: (events: ServerSentEvent[]) => boolean, opened?: () => void) =>
    readEventsUntil(`${baseUrl}/dashboard/events${query}`, { headers, until, ...(opened ? { opened } : {}) });

  const types = (events: ServerSentEvent[]) => events.map((event) => agentTimelineEventSchema.parse(JSON.parse(event.data)).type);

  it('streams the incident as it goes, and a reconnect with Last-Event-ID resumes with neither gap nor repeat', async () => {
    const firing = alert({ alertname: 'MarketPredictorDown', service: 'market-predictor', container: 'predictor-1', severity: 'critical' });
    const live = read({}, '?after=0', (events) => types(events).includes('action-proposed'));
    await fetch(`${baseUrl}/webhook/alerts`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(notification([firing])) });
    const first = await live;
    expect(types(first)).toContain('incident-opened');
    expect(types(first)).toContain('action-proposed');
    expect(first.every((event) => event.event === 'timeline')).toBe(true);
    const ids = first.map((event) => Number(event.id));
    const invalid = await started.agent.app.inject({ url: '/dashboard/events?after=x' });
    expect(invalid.statusCode).toBe(422);
    expect(invalid.body).toContain('after');

    // Cut after the first event: the resumed stream carries exactly the rest, in order.
    const resumed = await read({ 'last-event-id': String(ids[0]) }, '?after=0', (events) => events.length >= ids.length - 1);
    expect(resumed.map((event) => Number(event.id))).toEqual(ids.slice(1));
    // A first connection with no cursor starts at the newest entry: nothing old is replayed.
    const approve = await fetch(`${baseUrl}/actions?status=pending`, { headers: AUTHORIZED });
    const pending = ((await approve.json()) as { actions: { id: string }[] }).actions[0]!;
    let connected!: () => void;
    const open = new Promise<void>((resolve) => {
      connected = resolve;
    });
    const fresh = read({}, '', (events) => events.length >= 1, connected);
    await open;
    await fetch(`${baseUrl}/actions/${pending.id}/reject`, { method: 'POST', headers: { ...AUTHORIZED, 'content-type': 'application/json' }, body: JSON.stringify({ reason: 'not now' }) });
    expect(types(await fresh)).toEqual(['action-rejected']);
  });
});
