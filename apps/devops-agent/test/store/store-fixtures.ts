import { type Database, KyselyAuditLog, openDatabase } from '@atb/storage';
import { createTestSchema, describeWithComponent, probePostgres } from '@atb/testing';
import { afterEach, beforeEach, describe } from 'vitest';
import { newActionId } from '../../src/incidents/ids.js';
import type { Action, AgentStore, IncomingAlert } from '../../src/store/agent-store.js';
import { openAgentStore } from '../../src/store/kysely-agent-store.js';

export const ingestOptions = { groupBy: ['service', 'alertname'], reopenWindowSeconds: 600 };

let sequence = 0;
/** A firing alert with a fresh fingerprint. */
export function incoming(labels: Record<string, string>, overrides: Partial<IncomingAlert> = {}): IncomingAlert {
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

/** A pending restart of `svc` for the incident. */
export function newAction(incidentId: string, overrides: Partial<Action> = {}): Action {
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

/** The stores under test, with the audit log on the same database. */
export interface OpenedStores {
  store: AgentStore;
  auditLog: KyselyAuditLog;
  database: Database<unknown>;
}

/**
 * Runs a contract suite against every implementation: the Kysely stores on SQLite and on
 * PostgreSQL (skipped with its reason when PostgreSQL is not running). `subject()` is a fresh,
 * empty database for each test.
 */
export async function onEveryDatabase(name: string, suite: (subject: () => OpenedStores) => void): Promise<void> {
  const run = (open: () => Promise<OpenedStores & { drop?: () => Promise<void> }>) => {
    let current: OpenedStores & { drop?: () => Promise<void> };
    beforeEach(async () => {
      current = await open();
    });
    afterEach(async () => {
      await current.store.close();
      await current.drop?.();
    });
    suite(() => current);
  };
  const withStores = async (database: Database<unknown>) => {
    const auditLog = await KyselyAuditLog.open(database);
    const store = await openAgentStore(database, { audit: auditLog });
    return { database, auditLog, store };
  };
  describe(`${name} on SQLite`, () => run(() => withStores(openDatabase<unknown>(':memory:'))));
  const postgresUnavailable = await probePostgres();
  describeWithComponent('PostgreSQL', postgresUnavailable, 'start it: pg_ctlcluster 15 main start', () => {
    describe(`${name} on PostgreSQL`, () =>
      run(async () => {
        const schema = await createTestSchema('devops_agent_store');
        const opened = await withStores(openDatabase<unknown>(schema.url, { schema: schema.schema, poolSize: 2 }));
        return { ...opened, drop: () => schema.drop() };
      }));
  });
}
