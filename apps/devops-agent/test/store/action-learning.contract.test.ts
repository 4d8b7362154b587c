import { expect, it } from 'vitest';
import { ingestAlerts } from '../../src/intake/ingest-alerts.js';
import { learningStats } from '../../src/learning/learning-stats.js';
import { incoming, ingestOptions, newAction, onEveryDatabase } from './store-fixtures.js';

/** The contracts of ActionStore and LearningStore: windows, failures, verified outcomes, history. */
await onEveryDatabase('ActionStore and LearningStore', (subject) => {
  it('computes learning statistics, circuit failures and rate-limit windows', async () => {
    const { store } = subject();
    const { opened } = await ingestAlerts(store.changes, [incoming({ alertname: 'Down', service: 'svc' })], ingestOptions);
    const id = opened[0]!;
    const now = new Date().toISOString();
    await store.changes.commit({ createAction: newAction(id, { attempt: 1, status: 'succeeded', effective: true, recovery_seconds: 10, started_at: now, finished_at: now }) });
    await store.changes.commit({ createAction: newAction(id, { attempt: 2, status: 'succeeded', effective: false, started_at: now, finished_at: now }) });
    await store.changes.commit({ createAction: newAction(id, { attempt: 3, status: 'failed', started_at: now, finished_at: now }) });
    expect(await store.learning.outcomeTotals()).toEqual([
      { alertname: 'Down', service: 'svc', action: 'restart', verified: 2, effective: 1, recovery_seconds_sum: 10, recoveries: 1 },
    ]);
    expect(await learningStats(store.learning)).toEqual([
      { alertname: 'Down', service: 'svc', action: 'restart', attempts: 2, successes: 1, effective_rate: 0.5, mean_time_to_recovery_s: 10 },
    ]);
    expect(await store.learning.outcomeTotals({ alertname: 'Other' })).toEqual([]);
    const since = new Date(Date.now() - 60_000).toISOString();
    expect(await store.actions.failuresSince('svc', since)).toBe(2);
    expect(await store.actions.targetsWithFailures(since, 2)).toEqual(['svc']);
    expect(await store.actions.targetsWithFailures(since, 3)).toEqual([]);
    expect(await store.actions.startedSince(since, 'svc')).toHaveLength(3);
    expect(await store.actions.startedSince(since, 'elsewhere')).toHaveLength(0);
    expect(await store.actions.countByStatus()).toEqual({ succeeded: 2, failed: 1 });
    expect(await store.actions.list({ incident_id: id })).toHaveLength(3);
    expect(await store.actions.list({ service: 'svc' })).toHaveLength(3);
    expect(await store.actions.list({ service: 'elsewhere' })).toHaveLength(0);
    expect(await store.learning.similarIncidents('Down', 'svc', 'other', 5)).toEqual([expect.objectContaining({ incident_id: id, action: 'restart' })]);
    expect(await store.learning.similarIncidents('Down', 'svc', id, 5)).toEqual([]);
  });

  it("counts verified actions per runbook of their incident's analysis and operation", async () => {
    const { store } = subject();
    const { opened } = await ingestAlerts(store.changes, [incoming({ alertname: 'Down', service: 'a' }), incoming({ alertname: 'Slow', service: 'b' })], ingestOptions);
    const [down, slow] = opened as [string, string];
    const analysis = (issueType: string) => ({ issue_detected: true, severity: 'high' as const, issue_type: issueType, description: 'd', root_cause: 'r', recommended_actions: [], confidence: 0.8, requires_immediate_action: true, risk_assessment: 'low' });
    await store.changes.commit({ incident: { id: down, patch: { analysis: { analysis: analysis('service_down'), analyzer: 'rules', runbook: 'service-down' } } } });
    await store.changes.commit({ incident: { id: slow, patch: { analysis: { analysis: analysis('high_latency'), analyzer: 'rules' } } } });
    const verified = new Date().toISOString();
    const outcomes: [string, number, boolean | null, string][] = [
      [down, 1, true, 'restart'],
      [down, 2, false, 'restart'],
      [down, 3, true, 'restart'],
      [down, 4, null, 'restart'],
      [slow, 1, false, 'stats'],
    ];
    for (const [incident, attempt, effective, operation] of outcomes) {
      await store.changes.commit({ createAction: newAction(incident, { attempt, operation, status: 'succeeded', effective, ...(effective === null ? {} : { verified_at: verified }) }) });
    }
    const since = new Date(Date.now() - 60_000).toISOString();
    expect(await store.actions.effectivenessByRunbook(since)).toEqual([
      { runbook: 'service-down', operation: 'restart', verified: 3, effective: 2 },
      { runbook: null, operation: 'stats', verified: 1, effective: 0 },
    ]);
    expect(await store.actions.effectivenessByRunbook(new Date(Date.now() + 60_000).toISOString())).toEqual([]);
  });
});
