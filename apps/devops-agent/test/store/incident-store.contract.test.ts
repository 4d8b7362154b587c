import { expect, it } from 'vitest';
import { ATTACH_EVENT_INTERVAL_MS } from '../../src/incidents/episode-policy.js';
import { ingestAlerts, ingestBatches } from '../../src/intake/ingest-alerts.js';
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
});
