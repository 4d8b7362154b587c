import { expect, it } from 'vitest';
import { newActionId } from '../../src/incidents/ids.js';
import { ingestAlerts } from '../../src/intake/ingest-alerts.js';
import { refuseAuditRecords } from '../support/audit-fault.js';
import { incoming, ingestOptions, newAction, onEveryDatabase } from './store-fixtures.js';

/** The contract of UnitOfWork: change sets and intake transactions are all or nothing. */
await onEveryDatabase('UnitOfWork', (subject) => {
  it('commits a change set atomically and honours expectations', async () => {
    const { store } = subject();
    const { opened } = await ingestAlerts(store.changes, [incoming({ alertname: 'Down', service: 'svc' })], ingestOptions);
    const id = opened[0]!;
    const action = newAction(id);
    expect(await store.changes.commit({ createAction: action, incident: { id, patch: { state: 'awaiting_approval', action_attempts: 1 } }, events: [{ incident_id: id, type: 'action-proposed' }] })).toBe(true);
    // The same idempotency key cannot be inserted twice; nothing else of that change set is written.
    expect(await store.changes.commit({ createAction: { ...action, id: newActionId() }, events: [{ incident_id: id, type: 'should-not-exist' }] })).toBe(false);
    expect((await store.incidents.events(id)).some((event) => event.type === 'should-not-exist')).toBe(false);
    expect(await store.changes.commit({ updateAction: { id: action.id, patch: { status: 'approved' }, expectStatuses: ['pending'] }, jobs: [{ type: 'execute-action', payload: { action_id: action.id }, dedupe_key: `execute:${action.id}` }] })).toBe(true);
    expect(await store.changes.commit({ updateAction: { id: action.id, patch: { status: 'approved' }, expectStatuses: ['pending'] }, jobs: [{ type: 'x', payload: {} }] })).toBe(false);
    await store.jobs.enqueue([{ type: 'execute-action', payload: { action_id: action.id }, dedupe_key: `execute:${action.id}` }]);
    const jobs = await store.jobs.claim('test', new Date().toISOString(), 10, 30_000);
    expect(jobs.filter((job) => job.type === 'execute-action')).toHaveLength(1);
    expect(jobs.some((job) => job.type === 'x')).toBe(false);
    expect(await store.actions.get(action.id)).toMatchObject({ status: 'approved', confidence: 0.8, effective: null });
    expect(await store.incidents.get(id)).toMatchObject({ state: 'awaiting_approval', action_attempts: 1 });
  });

  it('appends a change set’s audit records in its transaction: both or neither', async () => {
    const { store, auditLog, database } = subject();
    const { opened } = await ingestAlerts(store.changes, [incoming({ alertname: 'Down', service: 'svc' })], ingestOptions);
    const id = opened[0]!;
    const audited = { actor: 'devops-agent', action: 'action-proposed', subject: id, data: { n: 1 } };
    expect(await store.changes.commit({ createAction: newAction(id), audit: [audited] })).toBe(true);
    // A failed expectation writes no audit record either.
    expect(await store.changes.commit({ createAction: newAction(id), audit: [{ ...audited, data: { n: 2 } }] })).toBe(false);
    const lift = await refuseAuditRecords(database, 'incident-tagged');
    await expect(
      store.changes.commit({ incident: { id, patch: { title: 'must roll back' } }, events: [{ incident_id: id, type: 'incident-tagged' }], audit: [{ ...audited, action: 'incident-tagged' }] }),
    ).rejects.toThrow(/audit write refused/);
    await lift();
    expect((await store.incidents.get(id))?.title).not.toBe('must roll back');
    expect((await store.incidents.events(id)).map((event) => event.type)).not.toContain('incident-tagged');
    expect((await auditLog.list({ subject: id })).map((record) => [record.action, record.data])).toEqual([['action-proposed', { n: 1 }]]);
    expect(await auditLog.verify()).toMatchObject({ valid: true, count: 1 });
  });

  it('rolls an intake transaction back when its work throws', async () => {
    const { store } = subject();
    await expect(
      store.changes.intake(async (transaction) => {
        await transaction.writeJobs([{ type: 'analyze', payload: {} }], new Date().toISOString());
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    expect(await store.jobs.countByStatus()).toEqual({});
  });
});
