import { openDatabase } from '@atb/storage';
import { createTestSchema, describeWithComponent, probePostgres } from '@atb/testing';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Action, AgentStore, IncomingAlert } from '../src/store/agent-store.js';
import { KyselyAgentStore, newActionId } from '../src/store/kysely-agent-store.js';

const options = { groupBy: ['service', 'alertname'], reopenWindowSeconds: 600 };

let sequence = 0;
function incoming(labels: Record<string, string>, overrides: Partial<IncomingAlert> = {}): IncomingAlert {
  sequence += 1;
  return {
    fingerprint: `fp-${sequence}`,
    status: 'firing',
    starts_at: '2026-01-01T00:00:00Z',
    ends_at: '0001-01-01T00:00:00Z',
    labels,
    annotations: { summary: 'it broke' },
    generator_url: '',
    ...overrides,
  };
}

function newAction(incidentId: string, overrides: Partial<Action> = {}): Action {
  return {
    id: newActionId(),
    incident_id: incidentId,
    operation: 'restart',
    target: 'svc',
    attempt: 1,
    idempotency_key: `key-${incidentId}-${overrides.attempt ?? 1}`,
    status: 'pending',
    risk: 'medium',
    confidence: 0.8,
    intent: 'restart the svc container',
    priority: 'HIGH',
    decided_by: 'pending',
    decision_reason: 'safety mode',
    created_at: new Date().toISOString(),
    expires_at: null,
    approved_by: null,
    approval_reason: null,
    started_at: null,
    finished_at: null,
    gateway_response: null,
    effective: null,
    verified_at: null,
    recovery_seconds: null,
    alertname: 'Down',
    service: 'svc',
    ...overrides,
  };
}

/** The contract every AgentStore implementation passes. */
function agentStoreContract(open: () => Promise<{ store: AgentStore; close(): Promise<void> }>) {
  let subject: { store: AgentStore; close(): Promise<void> };
  beforeEach(async () => {
    subject = await open();
  });
  afterEach(async () => {
    await subject.close();
  });

  it('ingests idempotently: new, duplicate, resolved, resolved-unknown', async () => {
    const { store } = subject;
    const alert = incoming({ alertname: 'Down', service: 'svc' });
    const first = await store.ingest([alert], options);
    expect(first).toMatchObject({ received: 1, created: 1, opened: [expect.any(String)] });
    expect(await store.ingest([alert, alert], options)).toMatchObject({ created: 0, unchanged: 2 });
    expect(await store.ingest([incoming({ alertname: 'X' }, { status: 'resolved' })], options)).toMatchObject({ ignored: 1 });
    expect(await store.ingest([{ ...alert, status: 'resolved' }], options)).toMatchObject({ resolved: 1 });
    expect(await store.ingest([{ ...alert, status: 'resolved' }], options)).toMatchObject({ resolved: 0, unchanged: 1 });
    const incidentId = first.opened[0]!;
    const events = (await store.incidentEvents(incidentId)).map((event) => event.type);
    expect(events).toEqual(['incident-opened', 'alerts-resolved']);
    const claimed = await store.claimJobs(new Date().toISOString(), 10);
    expect(claimed.map((job) => job.type).sort()).toEqual(['analyze', 'reconcile']);
  });

  it('ingests several notifications in one transaction, each with its own result', async () => {
    const { store } = subject;
    const alert = incoming({ alertname: 'Down', service: 'svc' });
    const results = await store.ingestMany([[alert], [alert], [], [incoming({ alertname: 'Ghost' }, { status: 'resolved' })], [{ ...alert, status: 'resolved' }]], options);
    expect(results.map((result) => [result.created, result.unchanged, result.ignored, result.resolved])).toEqual([
      [1, 0, 0, 0],
      [0, 1, 0, 0],
      [0, 0, 0, 0],
      [0, 0, 1, 0],
      [0, 0, 0, 1],
    ]);
    expect(results[0]!.opened).toHaveLength(1);
    expect(results[1]!.touched).toEqual([]);
    expect(await store.ingestMany([[], []], options)).toHaveLength(2);
  });

  it('groups while open, re-opens within the window and counts flaps', async () => {
    const { store } = subject;
    const [a, b] = [incoming({ alertname: 'Slow', service: 's' }), incoming({ alertname: 'Slow', service: 's', pod: '2' })];
    const opened = await store.ingest([a, b], options);
    const id = opened.opened[0]!;
    expect(opened.opened).toHaveLength(1);
    expect(await store.incidentAlerts(id)).toHaveLength(2);
    await store.commit({ incident: { id, patch: { state: 'resolved', resolved_at: new Date().toISOString() } } });
    const again = await store.ingest([{ ...a, starts_at: '2026-01-02T00:00:00Z' }], options);
    expect(again.reopened).toEqual([id]);
    expect(await store.getIncident(id)).toMatchObject({ state: 'open', flap_count: 1, resolved_at: null });
  });

  it('ingests thousands of alerts in one call, with Unicode and huge values', async () => {
    const { store } = subject;
    const huge = 'z'.repeat(50_000);
    const alerts = Array.from({ length: 3000 }, (_, index) => incoming({ alertname: `Alert ${index % 5} ✓`, service: index === 0 ? huge : `сервис-${index % 4}` }));
    const result = await store.ingest(alerts, options);
    expect(result.created).toBe(3000);
    expect((await store.listIncidents({ limit: 500 })).length).toBe(21);
  });

  it('commits a change set atomically and honours expectations', async () => {
    const { store } = subject;
    const { opened } = await store.ingest([incoming({ alertname: 'Down', service: 'svc' })], options);
    const id = opened[0]!;
    const action = newAction(id);
    expect(await store.commit({ createAction: action, incident: { id, patch: { state: 'awaiting_approval', action_attempts: 1 } }, events: [{ incident_id: id, type: 'action-proposed' }] })).toBe(true);
    // The same idempotency key cannot be inserted twice; nothing else of that change set is written.
    expect(await store.commit({ createAction: { ...action, id: newActionId() }, events: [{ incident_id: id, type: 'should-not-exist' }] })).toBe(false);
    expect((await store.incidentEvents(id)).some((event) => event.type === 'should-not-exist')).toBe(false);
    expect(await store.commit({ updateAction: { id: action.id, patch: { status: 'approved' }, expectStatuses: ['pending'] }, jobs: [{ type: 'execute-action', payload: { action_id: action.id }, dedupe_key: `execute:${action.id}` }] })).toBe(true);
    expect(await store.commit({ updateAction: { id: action.id, patch: { status: 'approved' }, expectStatuses: ['pending'] }, jobs: [{ type: 'x', payload: {} }] })).toBe(false);
    await store.enqueue([{ type: 'execute-action', payload: { action_id: action.id }, dedupe_key: `execute:${action.id}` }]);
    const jobs = await store.claimJobs(new Date().toISOString(), 10);
    expect(jobs.filter((job) => job.type === 'execute-action')).toHaveLength(1);
    expect(jobs.some((job) => job.type === 'x')).toBe(false);
    expect(await store.getAction(action.id)).toMatchObject({ status: 'approved', confidence: 0.8, effective: null });
  });

  it('keeps jobs durable: running jobs are re-queued, retries are delayed, failures recorded', async () => {
    const { store } = subject;
    await store.enqueue([{ type: 'a', payload: { n: 1 } }, { type: 'b', payload: { n: 2 }, run_at: new Date(Date.now() + 60_000).toISOString() }]);
    const [job] = await store.claimJobs(new Date().toISOString(), 10);
    expect(job).toMatchObject({ type: 'a', payload: { n: 1 }, attempts: 0 });
    expect(await store.claimJobs(new Date().toISOString(), 10)).toEqual([]);
    expect(await store.requeueRunningJobs()).toBe(1);
    const [again] = await store.claimJobs(new Date().toISOString(), 10);
    await store.retryJob(again!.id, new Date(Date.now() + 60_000).toISOString(), 'boom');
    expect(await store.claimJobs(new Date().toISOString(), 10)).toEqual([]);
    await store.failJob(again!.id, 'gave up');
    expect(await store.countJobsByStatus()).toEqual({ queued: 1, failed: 1 });
  });

  it('computes learning statistics, circuit failures and rate-limit windows', async () => {
    const { store } = subject;
    const { opened } = await store.ingest([incoming({ alertname: 'Down', service: 'svc' })], options);
    const id = opened[0]!;
    const now = new Date().toISOString();
    await store.commit({ createAction: newAction(id, { attempt: 1, status: 'succeeded', effective: true, recovery_seconds: 10, started_at: now, finished_at: now }) });
    await store.commit({ createAction: newAction(id, { attempt: 2, status: 'succeeded', effective: false, started_at: now, finished_at: now }) });
    await store.commit({ createAction: newAction(id, { attempt: 3, status: 'failed', started_at: now, finished_at: now }) });
    expect(await store.learningStats()).toEqual([
      { alertname: 'Down', service: 'svc', action: 'restart', attempts: 2, successes: 1, effective_rate: 0.5, mean_time_to_recovery_s: 10 },
    ]);
    const since = new Date(Date.now() - 60_000).toISOString();
    expect(await store.failuresSince('svc', since)).toBe(2);
    expect(await store.targetsWithFailures(since, 2)).toEqual(['svc']);
    expect(await store.targetsWithFailures(since, 3)).toEqual([]);
    expect(await store.actionsStartedSince(since, 'svc')).toHaveLength(3);
    expect(await store.countActionsByStatus()).toEqual({ succeeded: 2, failed: 1 });
    expect(await store.similarIncidents('Down', 'svc', 'other', 5)).toEqual([expect.objectContaining({ incident_id: id })]);
  });
}

describe('KyselyAgentStore on SQLite', () => {
  agentStoreContract(async () => {
    const database = openDatabase<unknown>(':memory:');
    const store = await KyselyAgentStore.open(database);
    return { store, close: () => store.close() };
  });
});

const postgresUnavailable = await probePostgres();
describeWithComponent('PostgreSQL', postgresUnavailable, 'start it: pg_ctlcluster 15 main start', () => {
  describe('KyselyAgentStore on PostgreSQL', () => {
    agentStoreContract(async () => {
      const schema = await createTestSchema('devops_agent_store');
      const database = openDatabase<unknown>(schema.url, { schema: schema.schema, poolSize: 2 });
      const store = await KyselyAgentStore.open(database);
      return {
        store,
        async close() {
          await store.close();
          await schema.drop();
        },
      };
    });
  });
});
