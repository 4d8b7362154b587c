import type { AnalysisOutcome } from '@atb/contracts';
import { type Database, migrate, openDatabase } from '@atb/storage';
import { createTestSchema, describeWithComponent, probePostgres } from '@atb/testing';
import type { Kysely } from 'kysely';
import { describe, expect, it } from 'vitest';
import { openAgentStore } from '../../src/store/kysely-agent-store.js';
import { type AgentTables, agentMigrations } from '../../src/store/schema.js';

/** The incidents table as an agent before `004_incident_issue_type` wrote it: no issue_type or runbook column. */
type OlderIncident = Omit<AgentTables['incidents'], 'issue_type' | 'runbook'>;
const BEFORE_ISSUE_TYPE = Object.fromEntries(Object.entries(agentMigrations).filter(([name]) => name < '004'));
const TYPES = ['service_down', 'high_latency', null, 'memory_leak'];
/** The runbook each type's analysis followed (memory_leak's older analyses named none). */
const RUNBOOKS: Record<string, string | null> = { service_down: 'service-down', high_latency: 'latency', memory_leak: null };

function olderRow(index: number): OlderIncident {
  const at = new Date(Date.UTC(2026, 0, 1, 0, index)).toISOString();
  const type = TYPES[index % TYPES.length];
  const runbook = type ? RUNBOOKS[type] : null;
  return {
    id: `inc_old_${String(index).padStart(4, '0')}`,
    group_key: `old|${index}`,
    alertname: 'ServiceDown',
    service: `service-${index % 3}`,
    severity: 'warning',
    title: `old incident ${index}`,
    state: 'resolved',
    opened_at: at,
    cycle_started_at: at,
    updated_at: at,
    resolved_at: at,
    last_fired_at: at,
    flap_count: 0,
    action_attempts: 0,
    analysis:
      !type
        ? null
        : JSON.stringify({ analysis: { issue_type: type, issue_detected: true, description: 'older' }, analyzer: 'rules', ...(runbook ? { runbook } : {}) }),
    analyzer: type === null ? null : 'rules',
    escalation_reason: null,
    coding_task: null,
  };
}

/**
 * Rows an older agent stored (the analysis JSON only) get the issue type and the runbook of their
 * analysis from the migrations, unanalysed ones stay null; the charts then read the columns, and
 * a new analysis recorded through a change set sets them.
 */
async function backfillsAndKeeps(database: Database<unknown>): Promise<void> {
  await migrate(database, 'devops_agent', BEFORE_ISSUE_TYPE);
  const rows = Array.from({ length: 20 }, (_, index) => olderRow(index));
  await (database.db as unknown as Kysely<{ incidents: OlderIncident }>).insertInto('incidents').values(rows).execute();

  const store = await openAgentStore(database);
  const runbooks = async () =>
    (await (database.db as unknown as Kysely<AgentTables>).selectFrom('incidents').select('runbook').orderBy('id').execute()).map((row) => row.runbook);
  try {
    const openings = await store.incidents.openedSince('2000-01-01T00:00:00.000Z');
    expect(openings).toEqual(rows.map((row, index) => ({ opened_at: row.opened_at, service: row.service, issue_type: TYPES[index % TYPES.length] })));
    // The domain's incident never shows the column: it is the store's copy of the analysis's field.
    expect(Object.keys((await store.incidents.get(rows[0]!.id))!)).not.toContain('issue_type');
    expect(Object.keys((await store.incidents.get(rows[0]!.id))!)).not.toContain('runbook');
    expect(await runbooks()).toEqual(rows.map((_, index) => RUNBOOKS[TYPES[index % TYPES.length] ?? ''] ?? null));

    const unanalysed = rows[2]!.id;
    const analysis: AnalysisOutcome = {
      analysis: { issue_detected: true, severity: 'high', issue_type: 'dependency_outage', description: 'later', root_cause: 'later', recommended_actions: [], confidence: 0.7, requires_immediate_action: false, risk_assessment: 'low' },
      analyzer: 'rules',
      runbook: 'dependency-outage',
    };
    await store.changes.commit({ incident: { id: unanalysed, patch: { analysis } } });
    expect((await store.incidents.openedSince('2000-01-01T00:00:00.000Z'))[2]!.issue_type).toBe('dependency_outage');
    expect((await runbooks())[2]).toBe('dependency-outage');
    await store.changes.commit({ incident: { id: unanalysed, patch: { analysis: null } } });
    expect((await store.incidents.openedSince('2000-01-01T00:00:00.000Z'))[2]!.issue_type).toBeNull();
    expect((await runbooks())[2]).toBeNull();
  } finally {
    await store.close();
  }
}

describe('004_incident_issue_type and 005_incident_runbook on SQLite', () => {
  it('backfill the issue type and the runbook from stored analyses, and change sets keep them', () => backfillsAndKeeps(openDatabase<unknown>(':memory:')));
});

describeWithComponent('PostgreSQL', await probePostgres(), 'start it: pg_ctlcluster 15 main start', () => {
  it('backfill the issue type and the runbook from stored analyses, and change sets keep them', async () => {
    const schema = await createTestSchema('devops_agent_issue_type');
    try {
      await backfillsAndKeeps(openDatabase<unknown>(schema.url, { schema: schema.schema, poolSize: 2 }));
    } finally {
      await schema.drop();
    }
  });
});
