import type { AuditEntry } from '@atb/storage';
import type { DialectName } from '@atb/storage';
import { type Kysely, sql, type Transaction } from 'kysely';
import type { Incident, StoredAlert } from '../agent-store.js';
import type { AgentTables } from '../schema.js';
import type { ChangeSet, IntakeTransaction, KnownAlert, UnitOfWork, UnresolvedIncident } from '../unit-of-work.js';
import { chunks, fromActionPatch, fromAlert, fromIncidentPatch, writeEvents, writeJobs } from './rows.js';

/** Appends audit records inside a transaction of the same database (KyselyAuditLog does). */
export interface TransactionalAudit {
  appendWithin<Schema>(transaction: Transaction<Schema>, entry: AuditEntry): Promise<unknown>;
}

/** Thrown inside a transaction to roll it back when a compare-and-set expectation fails. */
class ExpectationFailed extends Error {}

/** The advisory lock every intake transaction holds on PostgreSQL (an arbitrary constant, "intake"). */
const INTAKE_LOCK = 0x696e74616b65;

/** {@link UnitOfWork} on SQLite or PostgreSQL. Audit records of a change set are its last statements. */
export class KyselyUnitOfWork implements UnitOfWork {
  constructor(
    private readonly db: Kysely<AgentTables>,
    private readonly audit: TransactionalAudit | undefined,
    private readonly dialect: DialectName = 'sqlite',
  ) {}

  async commit(changes: ChangeSet): Promise<boolean> {
    if (changes.audit?.length && !this.audit) throw new Error('this store was opened without an audit log: a change set cannot carry audit records');
    return this.db
      .transaction()
      .execute(async (trx) => {
        const now = new Date().toISOString();
        await this.applyUpdates(trx, changes, now);
        if (changes.createAction) {
          const inserted = await trx
            .insertInto('actions')
            .values(fromActionPatch(changes.createAction) as AgentTables['actions'])
            .onConflict((conflict) => conflict.column('idempotency_key').doNothing())
            .executeTakeFirst();
          if (Number(inserted.numInsertedOrUpdatedRows ?? 0) === 0) throw new ExpectationFailed();
        }
        await writeEvents(trx, changes.events ?? [], now);
        await writeJobs(trx, changes.jobs ?? [], now);
        if (changes.completeJob !== undefined) {
          await trx.updateTable('jobs').set({ status: 'done', updated_at: now }).where('id', '=', changes.completeJob).execute();
        }
        for (const entry of changes.audit ?? []) await this.audit!.appendWithin(trx, entry);
        return true;
      })
      .catch((error: unknown) => {
        if (error instanceof ExpectationFailed) return false;
        throw error;
      });
  }

  private async applyUpdates(trx: Transaction<AgentTables>, changes: ChangeSet, now: string): Promise<void> {
    if (changes.incident) {
      const { id, patch, expectStates } = changes.incident;
      let query = trx
        .updateTable('incidents')
        .set({ ...fromIncidentPatch(patch), updated_at: now })
        .where('id', '=', id);
      if (expectStates) query = query.where('state', 'in', [...expectStates]);
      const updated = await query.executeTakeFirst();
      if (Number(updated.numUpdatedRows) === 0) throw new ExpectationFailed();
    }
    for (const update of [...(changes.updateAction ? [changes.updateAction] : []), ...(changes.updateActions ?? [])]) {
      const { id, patch, expectStatuses, expectUnverified } = update;
      let query = trx.updateTable('actions').set(fromActionPatch(patch)).where('id', '=', id);
      if (expectStatuses) query = query.where('status', 'in', [...expectStatuses]);
      if (expectUnverified) query = query.where('effective', 'is', null);
      const updated = await query.executeTakeFirst();
      if (Number(updated.numUpdatedRows) === 0) throw new ExpectationFailed();
    }
  }

  /**
   * Intake decides from what it reads (is this alert known, has its group an open incident), so
   * intakes run one at a time across replicas: SQLite serialises writers by itself, on PostgreSQL
   * each intake transaction first takes one transaction-scoped advisory lock. Otherwise two
   * replicas receiving one group's first alerts at once would each open an incident for it.
   */
  intake<T>(work: (transaction: IntakeTransaction) => Promise<T>): Promise<T> {
    return this.db.transaction().execute(async (trx) => {
      if (this.dialect === 'postgres') await sql`select pg_advisory_xact_lock(${INTAKE_LOCK})`.execute(trx);
      return work(new KyselyIntakeTransaction(trx));
    });
  }
}

/** {@link IntakeTransaction} inside one Kysely transaction. */
class KyselyIntakeTransaction implements IntakeTransaction {
  constructor(private readonly trx: Transaction<AgentTables>) {}

  async knownAlerts(fingerprints: string[]): Promise<KnownAlert[]> {
    const found: KnownAlert[] = [];
    for (const part of chunks(fingerprints)) {
      found.push(
        ...(await this.trx.selectFrom('alerts').select(['fingerprint', 'starts_at', 'status', 'incident_id']).where('fingerprint', 'in', part).execute()),
      );
    }
    return found;
  }

  async unresolvedIncidents(groupKeys: string[]): Promise<UnresolvedIncident[]> {
    const found: UnresolvedIncident[] = [];
    for (const part of chunks(groupKeys)) {
      const rows = await this.trx
        .selectFrom('incidents')
        .select(['id', 'group_key', 'last_fired_at'])
        .where('group_key', 'in', part)
        .where('state', '!=', 'resolved')
        .orderBy('opened_at', 'asc')
        .execute();
      found.push(...rows);
    }
    return found;
  }

  async latestResolved(groupKey: string, since?: string): Promise<{ id: string; flap_count: number; resolved_at: string } | undefined> {
    const row = await this.trx
      .selectFrom('incidents')
      .select(['id', 'flap_count', 'resolved_at'])
      .where('group_key', '=', groupKey)
      .where('state', '=', 'resolved')
      .$if(since !== undefined, (query) => query.where('resolved_at', '>=', since!))
      .where('resolved_at', 'is not', null)
      .orderBy('resolved_at', 'desc')
      .limit(1)
      .executeTakeFirst();
    return row?.resolved_at ? { id: row.id, flap_count: Number(row.flap_count), resolved_at: row.resolved_at } : undefined;
  }

  async firingCount(incidentId: string): Promise<number> {
    const row = await this.trx
      .selectFrom('alerts')
      .select((builder) => builder.fn.countAll<number>().as('count'))
      .where('incident_id', '=', incidentId)
      .where('status', '=', 'firing')
      .executeTakeFirst();
    return Number(row?.count ?? 0);
  }

  async insertIncidents(incidents: Incident[]): Promise<void> {
    for (const part of chunks(incidents, 100)) {
      await this.trx
        .insertInto('incidents')
        .values(part.map((incident) => fromIncidentPatch(incident) as AgentTables['incidents']))
        .execute();
    }
  }

  async updateIncidents(ids: string[], patch: Partial<Omit<Incident, 'id'>>): Promise<void> {
    for (const part of chunks(ids)) {
      await this.trx.updateTable('incidents').set(fromIncidentPatch(patch)).where('id', 'in', part).execute();
    }
  }

  async insertAlerts(alerts: StoredAlert[]): Promise<void> {
    for (const part of chunks(alerts, 200)) await this.trx.insertInto('alerts').values(part.map(fromAlert)).execute();
  }

  async resolveAlert(alert: { fingerprint: string; starts_at: string; ends_at: string }, now: string): Promise<void> {
    await this.trx
      .updateTable('alerts')
      .set({ status: 'resolved', ends_at: alert.ends_at, updated_at: now })
      .where('fingerprint', '=', alert.fingerprint)
      .where('starts_at', '=', alert.starts_at)
      .execute();
  }

  writeEvents(events: Parameters<IntakeTransaction['writeEvents']>[0], now: string): Promise<void> {
    return writeEvents(this.trx, events, now);
  }

  writeJobs(jobs: Parameters<IntakeTransaction['writeJobs']>[0], now: string): Promise<void> {
    return writeJobs(this.trx, jobs, now);
  }
}
