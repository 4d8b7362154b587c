import { type Kysely, sql } from 'kysely';
import type { ActionStore, RunbookEffectiveness } from '../action-store.js';
import type { Action, ActionFilter } from '../agent-store.js';
import type { AgentTables } from '../schema.js';
import { toAction } from './rows.js';

/** {@link ActionStore} on SQLite or PostgreSQL. */
export class KyselyActionStore implements ActionStore {
  constructor(private readonly db: Kysely<AgentTables>) {}

  async get(id: string): Promise<Action | undefined> {
    const row = await this.db.selectFrom('actions').selectAll().where('id', '=', id).executeTakeFirst();
    return row ? toAction(row) : undefined;
  }

  async list(filter: ActionFilter = {}): Promise<Action[]> {
    let query = this.db.selectFrom('actions').selectAll();
    if (filter.status) query = query.where('status', '=', filter.status);
    if (filter.incident_id) query = query.where('incident_id', '=', filter.incident_id);
    if (filter.target) query = query.where('target', '=', filter.target);
    if (filter.service) query = query.where('service', '=', filter.service);
    if (filter.operation) query = query.where('operation', '=', filter.operation);
    if (filter.since) query = query.where('created_at', '>=', filter.since);
    if (filter.until) query = query.where('created_at', '<', filter.until);
    const before = filter.before;
    if (before) query = query.where((eb) => eb.or([eb('created_at', '<', before.at), eb.and([eb('created_at', '=', before.at), eb('id', '<', before.id)])]));
    const order = filter.incident_id ? 'asc' : 'desc';
    const rows = await query
      .orderBy('created_at', order)
      .orderBy(filter.incident_id ? 'attempt' : 'id', order)
      .limit(Math.min(filter.limit ?? 100, 5000))
      .execute();
    return rows.map(toAction);
  }

  async recoveries(since: string): Promise<{ service: string; verified_at: string; recovery_seconds: number }[]> {
    const rows = await this.db
      .selectFrom('actions')
      .select(['service', 'verified_at', 'recovery_seconds'])
      .where('verified_at', '>=', since)
      .where('recovery_seconds', 'is not', null)
      .orderBy('verified_at', 'asc')
      .limit(50_000)
      .execute();
    return rows.map((row) => ({ service: row.service, verified_at: row.verified_at ?? '', recovery_seconds: Number(row.recovery_seconds) }));
  }

  async effectivenessByRunbook(since: string): Promise<RunbookEffectiveness[]> {
    const rows = await this.db
      .selectFrom('actions')
      .innerJoin('incidents', 'incidents.id', 'actions.incident_id')
      .select([
        'incidents.runbook as runbook',
        'actions.operation as operation',
        (builder) => builder.fn.countAll<number>().as('verified'),
        sql<number>`sum(case when actions.effective = 1 then 1 else 0 end)`.as('effective'),
      ])
      .where('actions.verified_at', '>=', since)
      .where('actions.effective', 'is not', null)
      .groupBy(['incidents.runbook', 'actions.operation'])
      .execute();
    return rows
      .map((row) => ({ runbook: row.runbook, operation: row.operation, verified: Number(row.verified), effective: Number(row.effective) }))
      .sort((a, b) => b.verified - a.verified || String(a.runbook).localeCompare(String(b.runbook)) || a.operation.localeCompare(b.operation));
  }

  async countByStatus(): Promise<Record<string, number>> {
    const rows = await this.db
      .selectFrom('actions')
      .select(['status', (builder) => builder.fn.countAll<number>().as('count')])
      .groupBy('status')
      .execute();
    return Object.fromEntries(rows.map((row) => [row.status, Number(row.count)]));
  }

  async startedSince(since: string, target?: string): Promise<Action[]> {
    let query = this.db.selectFrom('actions').selectAll().where('started_at', '>=', since);
    if (target) query = query.where('target', '=', target);
    return (await query.execute()).map(toAction);
  }

  async failuresSince(target: string, since: string): Promise<number> {
    const row = await this.db
      .selectFrom('actions')
      .select((builder) => builder.fn.countAll<number>().as('count'))
      .where('target', '=', target)
      .where('finished_at', '>=', since)
      .where((builder) => builder.or([builder('status', '=', 'failed'), builder('effective', '=', 0)]))
      .executeTakeFirst();
    return Number(row?.count ?? 0);
  }

  async targetsWithFailures(since: string, threshold: number): Promise<string[]> {
    const rows = await this.db
      .selectFrom('actions')
      .select(['target', (builder) => builder.fn.countAll<number>().as('count')])
      .where('finished_at', '>=', since)
      .where((builder) => builder.or([builder('status', '=', 'failed'), builder('effective', '=', 0)]))
      .groupBy('target')
      .execute();
    return rows.filter((row) => Number(row.count) >= threshold).map((row) => row.target);
  }
}
