import { createHash, createHmac } from 'node:crypto';
import { appendFile, chmod, readFile } from 'node:fs/promises';
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

const recordText = (record: Omit<AuditRecord, 'hash'>) =>
  canonicalJson([record.prev_hash, record.seq, record.timestamp, record.actor, record.action, record.subject, record.data]);

/** The unkeyed hash of a record: SHA-256 over the previous hash and the record's canonical JSON. */
export function auditHash(record: Omit<AuditRecord, 'hash'>): string {
  return createHash('sha256').update(recordText(record)).digest('hex');
}

/** The keyed hash of a record: HMAC-SHA-256 with the audit key over the same canonical JSON. */
export function keyedAuditHash(record: Omit<AuditRecord, 'hash'>, key: string): string {
  return createHmac('sha256', key).update(recordText(record)).digest('hex');
}

/** Settings of {@link KyselyAuditLog.open}. */
export interface AuditLogOptions {
  /**
   * HMAC key of the chain (`AUDIT_HMAC_KEY`). Without one, hashes are plain SHA-256: they detect
   * accidents, but anyone who can write the database can recompute them.
   */
  key?: string;
  /**
   * File the chain head (`<seq> <hash> <time>` lines, appended, 0600) is written to — at open,
   * at most every `anchorIntervalMs` after appends, and on close. `verify()` checks every line,
   * so a cut-off tail (records removed from the end) is detected. Keep it outside the database.
   */
  anchorFile?: string;
  /** Milliseconds between anchor writes while records are appended; default 1000. */
  anchorIntervalMs?: number;
}

interface Anchor {
  seq: number;
  hash: string;
}

/**
 * The audit log on SQLite or PostgreSQL. Appends are serialised (an in-process queue, and a
 * table lock on PostgreSQL so that several replicas still form one chain).
 *
 * Versioning: records written before the log was keyed keep their SHA-256 hashes and verify as
 * "legacy unkeyed" records (`legacy_unkeyed` in the verification); they may only form the start
 * of the chain — an unkeyed record after a keyed one is reported as tampering.
 */
export class KyselyAuditLog implements AuditLog {
  private tail: Promise<unknown> = Promise.resolve();
  private anchorTimer: NodeJS.Timeout | undefined;
  private anchorWrite: Promise<void> = Promise.resolve();
  private closed = false;

  private constructor(
    private readonly database: Database<AuditTable>,
    private readonly options: AuditLogOptions,
  ) {}

  static async open(database: Database<unknown>, options: AuditLogOptions = {}): Promise<KyselyAuditLog> {
    await migrate(database, 'audit', migrations);
    const log = new KyselyAuditLog(database as Database<AuditTable>, options);
    await log.writeAnchor();
    return log;
  }

  /** Writes the chain head to the anchor file once more and stops the timer; call before closing the database. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.anchorTimer) clearTimeout(this.anchorTimer);
    this.anchorTimer = undefined;
    await this.tail;
    await this.anchorWrite;
    await this.writeAnchor();
  }

  private hashOf(record: Omit<AuditRecord, 'hash'>): string {
    return this.options.key === undefined ? auditHash(record) : keyedAuditHash(record, this.options.key);
  }

  private scheduleAnchor(): void {
    if (this.options.anchorFile === undefined || this.anchorTimer !== undefined || this.closed) return;
    this.anchorTimer = setTimeout(() => {
      this.anchorTimer = undefined;
      this.anchorWrite = this.anchorWrite.then(() => this.writeAnchor()).catch(() => {});
    }, this.options.anchorIntervalMs ?? 1000);
    this.anchorTimer.unref();
  }

  /** Appends the current head (`0 <genesis>` for an empty log) to the anchor file. */
  private async writeAnchor(): Promise<void> {
    const file = this.options.anchorFile;
    if (file === undefined) return;
    const last = await this.database.db.selectFrom('audit_log').select(['seq', 'hash']).orderBy('seq', 'desc').limit(1).executeTakeFirst();
    await appendFile(file, `${Number(last?.seq ?? 0)} ${last?.hash ?? GENESIS_HASH} ${new Date().toISOString()}\n`, { mode: 0o600 });
    await chmod(file, 0o600);
  }

  /** Every head the anchor file records, or undefined when there is no anchor file (configured but missing: []). */
  private async readAnchors(): Promise<Anchor[] | undefined> {
    const file = this.options.anchorFile;
    if (file === undefined) return undefined;
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw error;
    }
    const anchors: Anchor[] = [];
    for (const line of text.split('\n')) {
      const [seq, hash] = line.trim().split(' ');
      if (seq !== undefined && hash !== undefined && /^\d+$/.test(seq) && /^[0-9a-f]{64}$/.test(hash)) anchors.push({ seq: Number(seq), hash });
    }
    return anchors;
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
    return this.insertRecord(transaction as unknown as Transaction<AuditTable>, entry).then((record) => {
      this.scheduleAnchor();
      return record;
    });
  }

  private appendNow(entry: AuditEntry): Promise<AuditRecord> {
    return this.database.db
      .transaction()
      .execute((transaction) => this.insertRecord(transaction, entry))
      .then((record) => {
        this.scheduleAnchor();
        return record;
      });
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
    const record: AuditRecord = { ...unsigned, hash: this.hashOf(unsigned) };
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
    // The anchor is read first: a head anchored while the chain is read is never ahead of it.
    const anchors = await this.readAnchors();
    // Every line counts: a later line for the same record (a restart after tampering) cannot
    // overrule an earlier one.
    const anchoredAt = new Map<number, Set<string>>();
    for (const anchor of anchors ?? []) anchoredAt.set(anchor.seq, (anchoredAt.get(anchor.seq) ?? new Set()).add(anchor.hash));
    const anchoredSeq = Math.max(0, ...anchoredAt.keys());
    const key = this.options.key;
    let previous = GENESIS_HASH;
    let expectedSeq = 1;
    let count = 0;
    let legacy = 0;
    let keyedSeen = false;
    const broken = (broken_at: number, reason: string): AuditVerification => ({ valid: false, count, broken_at, reason });
    for (;;) {
      const rows = await this.database.db
        .selectFrom('audit_log')
        .selectAll()
        .where('seq', '>=', expectedSeq)
        .orderBy('seq', 'asc')
        .limit(1000)
        .execute();
      if (rows.length === 0) break;
      for (const row of rows) {
        const record = toRecord(row);
        if (record.seq !== expectedSeq) return broken(expectedSeq, `record ${expectedSeq} is missing`);
        if (record.prev_hash !== previous) return broken(record.seq, 'prev_hash does not match the previous record');
        const { hash, ...unsigned } = record;
        if (key === undefined) {
          if (auditHash(unsigned) !== hash) return broken(record.seq, 'content does not match its hash');
        } else if (keyedAuditHash(unsigned, key) === hash) {
          keyedSeen = true;
        } else if (auditHash(unsigned) === hash) {
          if (keyedSeen) return broken(record.seq, 'an unkeyed hash after keyed records (recomputed without the key)');
          legacy += 1;
        } else {
          return broken(record.seq, 'content does not match its keyed hash');
        }
        const anchored = anchoredAt.get(record.seq);
        if (anchored !== undefined && (anchored.size > 1 || !anchored.has(hash))) return broken(record.seq, 'hash differs from the head recorded in the anchor file');
        previous = hash;
        expectedSeq += 1;
        count += 1;
      }
    }
    if (anchors !== undefined) {
      if (anchors.length === 0) return broken(count, 'the anchor file is missing or empty');
      if (anchoredSeq > count) {
        return broken(count + 1, `tail cut off: the anchor file records ${anchoredSeq} records, the log has ${count}`);
      }
    }
    const result: AuditVerification = { valid: true, count, head: previous };
    if (key !== undefined) {
      result.keyed = true;
      result.legacy_unkeyed = legacy;
    }
    if (anchors !== undefined) result.anchored_seq = anchoredSeq;
    return result;
  }
}

function toRecord(row: AuditTable['audit_log']): AuditRecord {
  return { ...row, seq: Number(row.seq), data: JSON.parse(row.data) as Record<string, unknown> };
}
