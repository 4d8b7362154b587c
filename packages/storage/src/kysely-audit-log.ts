import { createHash } from 'node:crypto';
import { sql, type Transaction } from 'kysely';
import {
  type AuditEntry,
  type AuditFilter,
  type AuditLog,
  type AuditRecord,
  type AuditVerification,
  GENESIS_HASH,
} from './audit-log.js';
import { canonicalJson } from './canonical-json.js';
import type { Database } from './database.js';
import { type Migration, migrate } from './migrations.js';

interface AuditTable {
  audit_log: {
    seq: number;
    timestamp: string;
    actor: string;
    action: string;
    subject: string;
    data: string;
    prev_hash: string;
    hash: string;
  };
}

const migrations: Record<string, Migration> = {
  '001_audit_log': {
    async up(db, dialect) {
      await db.schema
        .createTable('audit_log')
        .addColumn('seq', 'bigint', (column) => column.primaryKey())
        .addColumn('timestamp', 'text', (column) => column.notNull())
        .addColumn('actor', 'text', (column) => column.notNull())
        .addColumn('action', 'text', (column) => column.notNull())
        .addColumn('subject', 'text', (column) => column.notNull())
        .addColumn('data', 'text', (column) => column.notNull())
        .addColumn('prev_hash', 'text', (column) => column.notNull())
        .addColumn('hash', 'text', (column) => column.notNull().unique())
        .execute();
      await db.schema.createIndex('audit_log_subject').on('audit_log').column('subject').execute();
      await db.schema.createIndex('audit_log_action').on('audit_log').column('action').execute();
      // Append-only at the database level too: updates and deletes are refused.
      if (dialect === 'sqlite') {
        await sql`CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END`.execute(db);
        await sql`CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END`.execute(db);
      } else {
        await sql`CREATE OR REPLACE FUNCTION audit_log_append_only() RETURNS trigger AS $$ BEGIN RAISE EXCEPTION 'audit_log is append-only'; END $$ LANGUAGE plpgsql`.execute(db);
        await sql`CREATE TRIGGER audit_log_no_change BEFORE UPDATE OR DELETE ON audit_log FOR EACH ROW EXECUTE FUNCTION audit_log_append_only()`.execute(db);
      }
    },
  },
};

/** The hash of a record: SHA-256 over the previous hash and the record's canonical JSON. */
export function auditHash(record: Omit<AuditRecord, 'hash'>): string {
  return createHash('sha256')
    .update(
      canonicalJson([record.prev_hash, record.seq, record.timestamp, record.actor, record.action, record.subject, record.data]),
    )
    .digest('hex');
}

/**
 * The audit log on SQLite or PostgreSQL. Appends are serialised (an in-process queue, and a
 * table lock on PostgreSQL so that several replicas still form one chain).
 */
export class KyselyAuditLog implements AuditLog {
  private tail: Promise<unknown> = Promise.resolve();

  private constructor(private readonly database: Database<AuditTable>) {}

  static async open(database: Database<unknown>): Promise<KyselyAuditLog> {
    await migrate(database, 'audit', migrations);
    return new KyselyAuditLog(database as Database<AuditTable>);
  }

  append(entry: AuditEntry): Promise<AuditRecord> {
    const next = this.tail.then(() => this.appendNow(entry));
    this.tail = next.catch(() => {});
    return next;
  }

  /**
   * Appends inside the caller's transaction on the same database: the record commits or rolls
   * back with the caller's change. Not queued behind {@link append}: on SQLite the transaction
   * holds the only connection, on PostgreSQL the table lock orders the appenders (take it last
   * in the transaction, so that its holder waits for no other lock).
   */
  appendWithin<Schema>(transaction: Transaction<Schema>, entry: AuditEntry): Promise<AuditRecord> {
    return this.insertRecord(transaction as unknown as Transaction<AuditTable>, entry);
  }

  private appendNow(entry: AuditEntry): Promise<AuditRecord> {
    return this.database.db.transaction().execute((transaction) => this.insertRecord(transaction, entry));
  }

  private async insertRecord(transaction: Transaction<AuditTable>, entry: AuditEntry): Promise<AuditRecord> {
    if (this.database.dialect === 'postgres') await sql`LOCK TABLE audit_log IN EXCLUSIVE MODE`.execute(transaction);
    const last = await transaction.selectFrom('audit_log').select(['seq', 'hash']).orderBy('seq', 'desc').limit(1).executeTakeFirst();
    const unsigned = {
      seq: Number(last?.seq ?? 0) + 1,
      timestamp: new Date().toISOString(),
      actor: entry.actor,
      action: entry.action,
      subject: entry.subject ?? '',
      data: JSON.parse(canonicalJson(entry.data ?? {})) as Record<string, unknown>,
      prev_hash: last?.hash ?? GENESIS_HASH,
    };
    const record: AuditRecord = { ...unsigned, hash: auditHash(unsigned) };
    await transaction
      .insertInto('audit_log')
      .values({ ...record, data: canonicalJson(record.data) })
      .execute();
    return record;
  }

  async list(filter: AuditFilter = {}): Promise<AuditRecord[]> {
    let query = this.database.db.selectFrom('audit_log').selectAll();
    if (filter.actor) query = query.where('actor', '=', filter.actor);
    if (filter.action) query = query.where('action', '=', filter.action);
    if (filter.subject) query = query.where('subject', '=', filter.subject);
    if (filter.since) query = query.where('timestamp', '>=', filter.since);
    if (filter.until) query = query.where('timestamp', '<', filter.until);
    if (filter.after_seq !== undefined) query = query.where('seq', '>', filter.after_seq);
    const limit = Math.min(Math.max(filter.limit ?? 100, 1), 1000);
    const rows = await query.orderBy('seq', 'asc').limit(limit).execute();
    return rows.map(toRecord);
  }

  async verify(): Promise<AuditVerification> {
    let previous = GENESIS_HASH;
    let expectedSeq = 1;
    let count = 0;
    for (;;) {
      const rows = await this.database.db
        .selectFrom('audit_log')
        .selectAll()
        .where('seq', '>=', expectedSeq)
        .orderBy('seq', 'asc')
        .limit(1000)
        .execute();
      if (rows.length === 0) return { valid: true, count, head: previous };
      for (const row of rows) {
        const record = toRecord(row);
        if (record.seq !== expectedSeq) {
          return { valid: false, count, broken_at: expectedSeq, reason: `record ${expectedSeq} is missing` };
        }
        if (record.prev_hash !== previous) {
          return { valid: false, count, broken_at: record.seq, reason: 'prev_hash does not match the previous record' };
        }
        const { hash, ...unsigned } = record;
        if (auditHash(unsigned) !== hash) {
          return { valid: false, count, broken_at: record.seq, reason: 'content does not match its hash' };
        }
        previous = hash;
        expectedSeq += 1;
        count += 1;
      }
    }
  }
}

function toRecord(row: AuditTable['audit_log']): AuditRecord {
  return { ...row, seq: Number(row.seq), data: JSON.parse(row.data) as Record<string, unknown> };
}
