import { expect, it } from 'vitest';
import { ATTACH_EVENT_INTERVAL_MS } from '../../src/incidents/episode-policy.js';
import { ingestAlerts, ingestBatches } from '../../src/intake/ingest-alerts.js';
import { seedIncidents } from '../support/seed-incidents.js';
import { incoming, ingestOptions, onEveryDatabase } from './store-fixtures.js';

/**
 * The contract of IncidentStore and of the intake transaction, driven through the intake domain
 * module: idempotent intake, group commit, grouping, re-open window, flap counting, storm throttling.
 */
await onEveryDatabase('IncidentStore and intake', (subject) => {
  it('ingests idempotently: new, duplicate, resolved, resolved-unknown', async () => {
    const { store } = subject();
    const alert = incoming({ alertname: 'Down', service: 'svc' });
    const first = await ingestAlerts(store.changes, [alert], ingestOptions);
    expect(first).toMatchObject({ received: 1, created: 1, opened: [expect.any(String)] });
    expect(await ingestAlerts(store.changes, [alert, alert], ingestOptions)).toMatchObject({ created: 0, unchanged: 2 });
    expect(await ingestAlerts(store.changes, [incoming({ alertname: 'X' }, { status: 'resolved' })], ingestOptions)).toMatchObject({ ignored: 1 });
    expect(await ingestAlerts(store.changes, [{ ...alert, status: 'resolved' }], ingestOptions)).toMatchObject({ resolved: 1 });
    expect(await ingestAlerts(store.changes, [{ ...alert, status: 'resolved' }], ingestOptions)).toMatchObject({ resolved: 0, unchanged: 1 });
    const incidentId = first.opened[0]!;
    const events = (await store.incidents.events(incidentId)).map((event) => event.type);
    expect(events).toEqual(['incident-opened', 'alerts-resolved']);
    const claimed = await store.jobs.claim('test', new Date().toISOString(), 10, 30_000);
    expect(claimed.map((job) => job.type).sort()).toEqual(['analyze', 'reconcile']);
  });

  it('ingests several notifications in one transaction, each with its own result', async () => {
    const { store } = subject();
    const alert = incoming({ alertname: 'Down', service: 'svc' });
    const results = await ingestBatches(store.changes, [[alert], [alert], [], [incoming({ alertname: 'Ghost' }, { status: 'resolved' })], [{ ...alert, status: 'resolved' }]], ingestOptions);
    expect(results.map((result) => [result.created, result.unchanged, result.ignored, result.resolved])).toEqual([
      [1, 0, 0, 0],
      [0, 1, 0, 0],
      [0, 0, 0, 0],
      [0, 0, 1, 0],
      [0, 0, 0, 1],
    ]);
    expect(results[0]!.opened).toHaveLength(1);
    expect(results[1]!.touched).toEqual([]);
    expect(await ingestBatches(store.changes, [[], []], ingestOptions)).toHaveLength(2);
  });

  it('groups while open, re-opens within the window and counts flaps', async () => {
    const { store } = subject();
    const [a, b] = [incoming({ alertname: 'Slow', service: 's' }), incoming({ alertname: 'Slow', service: 's', pod: '2' })];
    const opened = await ingestAlerts(store.changes, [a, b], ingestOptions);
    const id = opened.opened[0]!;
    expect(opened.opened).toHaveLength(1);
    expect(await store.incidents.alerts(id)).toHaveLength(2);
    await store.changes.commit({ incident: { id, patch: { state: 'resolved', resolved_at: new Date().toISOString() } } });
    const again = await ingestAlerts(store.changes, [{ ...a, starts_at: '2026-01-02T00:00:00Z' }], ingestOptions);
    expect(again.reopened).toEqual([id]);
    expect(await store.incidents.get(id)).toMatchObject({ state: 'open', flap_count: 1, resolved_at: null });
  });

  it('ingests thousands of alerts in one call, with Unicode and huge values', async () => {
    const { store } = subject();
    const huge = 'z'.repeat(50_000);
    const alerts = Array.from({ length: 3000 }, (_, index) => incoming({ alertname: `Alert ${index % 5} ✓`, service: index === 0 ? huge : `сервис-${index % 4}` }));
    const result = await ingestAlerts(store.changes, alerts, ingestOptions);
    expect(result.created).toBe(3000);
    expect((await store.incidents.list({ limit: 500 })).length).toBe(21);
  });

  it('does not re-open outside the window, or at all with a window of 0', async () => {
    const { store } = subject();
    const a = incoming({ alertname: 'Slow', service: 's' });
    const id = (await ingestAlerts(store.changes, [a], { ...ingestOptions, reopenWindowSeconds: 0 })).opened[0]!;
    await store.changes.commit({ incident: { id, patch: { state: 'resolved', resolved_at: new Date().toISOString() } } });
    const again = await ingestAlerts(store.changes, [{ ...a, starts_at: '2026-01-02T00:00:00Z' }], { ...ingestOptions, reopenWindowSeconds: 0 });
    expect(again.reopened).toEqual([]);
    expect(again.opened).toHaveLength(1);
    const longAgo = new Date(Date.now() - 3_600_000).toISOString();
    for (const resolved of [id, again.opened[0]!]) await store.changes.commit({ incident: { id: resolved, patch: { state: 'resolved', resolved_at: longAgo } } });
    const late = await ingestAlerts(store.changes, [{ ...a, starts_at: '2026-01-03T00:00:00Z' }], ingestOptions);
    expect(late.reopened).toEqual([]);
    expect(late.opened).toHaveLength(1);
  });

  it('throttles a storm: every alert kept, one alerts-attached event per quiet interval', async () => {
    const { store } = subject();
    const id = (await ingestAlerts(store.changes, [incoming({ alertname: 'Storm', service: 's' })], ingestOptions)).opened[0]!;
    for (let round = 0; round < 5; round += 1) await ingestAlerts(store.changes, [incoming({ alertname: 'Storm', service: 's' })], ingestOptions);
    expect(await store.incidents.alerts(id)).toHaveLength(6);
    expect((await store.incidents.events(id)).map((event) => event.type)).toEqual(['incident-opened']);
    const quietSince = new Date(Date.now() - ATTACH_EVENT_INTERVAL_MS - 1000).toISOString();
    await store.changes.intake((transaction) => transaction.updateIncidents([id], { last_fired_at: quietSince }));
    await ingestAlerts(store.changes, [incoming({ alertname: 'Storm', service: 's' })], ingestOptions);
    expect((await store.incidents.events(id)).map((event) => event.type)).toEqual(['incident-opened', 'alerts-attached']);
    expect((await store.incidents.get(id))!.last_fired_at > quietSince).toBe(true);
    expect(await store.incidents.countByState()).toEqual({ open: 1 });
  });

  it('lists, filters and restores firing alerts by fingerprint', async () => {
    const { store } = subject();
    const down = incoming({ alertname: 'Down', service: 'a' });
    const slow = incoming({ alertname: 'Slow', service: 'b' });
    await ingestAlerts(store.changes, [down, slow], ingestOptions);
    await ingestAlerts(store.changes, [{ ...slow, status: 'resolved' }], ingestOptions);
    expect((await store.incidents.firingAlerts([down.fingerprint, slow.fingerprint])).map((alert) => alert.fingerprint)).toEqual([down.fingerprint]);
    expect(await store.incidents.firingAlerts([])).toEqual([]);
    expect((await store.incidents.list({ service: 'b' })).map((incident) => incident.alertname)).toEqual(['Slow']);
    expect(await store.incidents.list({ active: true, limit: 1 })).toHaveLength(1);
    expect(await store.incidents.get('inc_missing')).toBeUndefined();
  });

  it('reads every timeline after an id, oldest first, and names the newest id', async () => {
    const { store } = subject();
    expect(await store.incidents.latestEventId()).toBe(0);
    expect(await store.incidents.eventsAfter(0)).toEqual([]);
    const [a, b] = [incoming({ alertname: 'Down', service: 'a' }), incoming({ alertname: 'Slow', service: 'b' })];
    const opened = (await ingestAlerts(store.changes, [a, b], ingestOptions)).opened;
    await store.changes.commit({ events: [{ incident_id: opened[0]!, type: 'action-proposed', data: { operation: 'restart' } }] });
    const all = await store.incidents.eventsAfter(0);
    expect(all.map((event) => [event.incident_id, event.type])).toEqual([
      [opened[0], 'incident-opened'],
      [opened[1], 'incident-opened'],
      [opened[0], 'action-proposed'],
    ]);
    expect(all.map((event) => event.id)).toEqual([...all.map((event) => event.id)].sort((x, y) => x - y));
    expect(all[2]!.data).toEqual({ operation: 'restart' });
    expect(await store.incidents.latestEventId()).toBe(all[2]!.id);
    expect((await store.incidents.eventsAfter(all[0]!.id, 1)).map((event) => event.id)).toEqual([all[1]!.id]);
    expect(await store.incidents.eventsAfter(all[2]!.id)).toEqual([]);
  });

  it('filters incidents and actions by service, state, type and time range, pages by key without repeats or gaps, and counts active incidents per service', async () => {
    const { store } = subject();
    const seeded = await seedIncidents(store, 300, { days: 10 });
    const from = new Date(Date.now() - 5 * 86_400_000).toISOString();
    const expected = seeded.incidents
      .filter((incident) => incident.service === 'order-router' && incident.state === 'resolved' && incident.opened_at >= from)
      .sort((a, b) => b.opened_at.localeCompare(a.opened_at) || b.id.localeCompare(a.id));
    expect(expected.length).toBeGreaterThan(10);
    const paged: string[] = [];
    let before: { at: string; id: string } | undefined;
    for (;;) {
      const page = await store.incidents.list({ service: 'order-router', state: 'resolved', since: from, limit: 7, ...(before ? { before } : {}) });
      paged.push(...page.map((incident) => incident.id));
      if (page.length < 7) break;
      const last = page[page.length - 1]!;
      before = { at: last.opened_at, id: last.id };
    }
    expect(paged).toEqual(expected.map((incident) => incident.id));
    // Counts of active incidents per service, with the critical ones: every row, no page limit.
    const active = seeded.incidents.filter((incident) => ['open', 'investigating', 'awaiting_approval', 'remediating', 'verifying'].includes(incident.state));
    const counts: Record<string, { open: number; critical: number }> = {};
    for (const incident of active) {
      const entry = counts[incident.service] ?? { open: 0, critical: 0 };
      counts[incident.service] = entry;
      entry.open += 1;
      if (incident.severity === 'critical') entry.critical += 1;
    }
    expect(await store.incidents.activeCounts()).toEqual(counts);
    // `active: true` lists exactly those, `active: false` exactly the ended rest.
    const ids = async (filter: { active: boolean }) => (await store.incidents.list({ ...filter, limit: 5000 })).map((incident) => incident.id).sort();
    expect(await ids({ active: true })).toEqual(active.map((incident) => incident.id).sort());
    expect(await ids({ active: false })).toEqual(seeded.incidents.filter((incident) => !active.includes(incident)).map((incident) => incident.id).sort());
    // The charts' openings carry the analysis's issue type (the store's column).
    expect((await store.incidents.openedSince(from)).map((opening) => `${opening.opened_at} ${opening.service} ${opening.issue_type}`).sort()).toEqual(
      seeded.incidents.filter((incident) => incident.opened_at >= from).map((incident) => `${incident.opened_at} ${incident.service} ${incident.analysis!.analysis.issue_type}`).sort(),
    );
    const until = new Date(Date.now() - 2 * 86_400_000).toISOString();
    expect((await store.incidents.list({ alertname: 'ServiceDown', until, limit: 5000 })).map((incident) => incident.id).sort()).toEqual(
      seeded.incidents.filter((incident) => incident.alertname === 'ServiceDown' && incident.opened_at < until).map((incident) => incident.id).sort(),
    );
    // The analysis' issue type is a filter of its own: ServiceDegraded's incidents are of three types.
    const highLatency = seeded.incidents.filter((incident) => incident.analysis!.analysis.issue_type === 'high_latency' && incident.service === 'price-feed');
    expect(highLatency.length).toBeGreaterThan(0);
    expect((await store.incidents.list({ issue_type: 'high_latency', service: 'price-feed', limit: 5000 })).map((incident) => incident.id).sort()).toEqual(
      highLatency.map((incident) => incident.id).sort(),
    );
    const restarts = seeded.actions.filter((action) => action.service === 'risk-engine' && action.operation === 'restart' && action.created_at >= from);
    const first = await store.actions.list({ service: 'risk-engine', operation: 'restart', since: from, limit: 3 });
    const last = first[first.length - 1]!;
    const rest = await store.actions.list({ service: 'risk-engine', operation: 'restart', since: from, limit: 5000, before: { at: last.created_at, id: last.id } });
    expect([...first, ...rest].map((action) => action.id)).toEqual(
      restarts.sort((a, b) => b.created_at.localeCompare(a.created_at) || b.id.localeCompare(a.id)).map((action) => action.id),
    );
  });
});
