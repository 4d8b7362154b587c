import { createTestSchema, describeWithComponent, probePostgres } from '@atb/testing';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { type AuditRecord, GENESIS_HASH } from '../src/audit-log.js';
import { type Database, openDatabase } from '../src/database.js';
import { type AuditLogOptions, auditHash, KyselyAuditLog, keyedAuditHash } from '../src/kysely-audit-log.js';

interface Subject {
  log: KyselyAuditLog;
  database: Database<unknown>;
  close(): Promise<void>;
}

const KEY = 'k'.repeat(16) + 'a-test-audit-hmac-key';

/** Lifts the append-only guard, as an attacker with write access to the database would. */
async function dropGuards(database: Database<unknown>): Promise<void> {
  if (database.dialect === 'sqlite') {
    await sql`DROP TRIGGER IF EXISTS audit_log_no_update`.execute(database.db);
    await sql`DROP TRIGGER IF EXISTS audit_log_no_delete`.execute(database.db);
  } else {
    await sql`ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_change`.execute(database.db);
  }
}

/**
 * Edits record `seq` (its data) and recomputes its hash and every later one with `hash`,
 * so the chain is consistent again for anyone who does not hold the key.
 */
async function rewriteFrom(database: Database<unknown>, log: KyselyAuditLog, seq: number, hash: (record: Omit<AuditRecord, 'hash'>) => string) {
  const records = await log.list({ limit: 1000 });
  let previous = records[seq - 2]?.hash ?? GENESIS_HASH;
  for (const record of records.slice(seq - 1)) {
    const data = record.seq === seq ? { ...record.data, amount: 100 } : record.data;
    const unsigned = { ...record, data, prev_hash: previous };
    const next = hash(unsigned);
    await sql`UPDATE audit_log SET data = ${JSON.stringify(data)}, prev_hash = ${previous}, hash = ${next} WHERE seq = ${record.seq}`.execute(database.db);
    previous = next;
  }
}

/** The one contract every audit log backend passes. */
function auditLogContract(open: () => Promise<Subject>) {
  let subject: Subject;
  let directory: string;
  /** Options of a keyed, anchored log in this test's directory. */
  let keyed: AuditLogOptions;
  beforeEach(async () => {
    subject = await open();
    directory = mkdtempSync(join(tmpdir(), 'atb-audit-'));
    keyed = { key: KEY, anchorFile: join(directory, 'audit-anchor'), anchorIntervalMs: 10 };
  });
  afterEach(async () => {
    await subject.close();
    rmSync(directory, { recursive: true, force: true });
  });

  /** The log on the same database with other options (a restart of the service). */
  const reopen = (options: AuditLogOptions) => KyselyAuditLog.open(subject.database, options);

  it('keys the chain with HMAC-SHA-256 and anchors the head in a 0600 file', async () => {
    const log = await reopen(keyed);
    const first = await log.append({ actor: 'tester', action: 'thing-happened', data: { a: 1 } });
    const { hash, ...unsigned } = first;
    expect(hash).toBe(keyedAuditHash(unsigned, KEY));
    expect(hash).not.toBe(auditHash(unsigned));
    await log.close();
    expect(statSync(keyed.anchorFile!).mode & 0o777).toBe(0o600);
    expect(readFileSync(keyed.anchorFile!, 'utf8')).toContain(`1 ${first.hash} `);
    expect(await (await reopen(keyed)).verify()).toEqual({ valid: true, count: 1, head: first.hash, keyed: true, legacy_unkeyed: 0, anchored_seq: 1 });
  });

  it('writes the head periodically while records are appended', async () => {
    const log = await reopen(keyed);
    const record = await log.append({ actor: 'a', action: 'n' });
    await expect.poll(() => readFileSync(keyed.anchorFile!, 'utf8'), { timeout: 5000 }).toContain(`1 ${record.hash} `);
    await log.close();
  });

  it('detects an edited record whose later hashes were recomputed unkeyed', async () => {
    const log = await reopen(keyed);
    for (let amount = 1; amount <= 4; amount += 1) await log.append({ actor: 'a', action: 'n', data: { amount } });
    await log.close();
    await dropGuards(subject.database);
    await rewriteFrom(subject.database, log, 2, auditHash);
    expect(await (await reopen(keyed)).verify()).toMatchObject({ valid: false, broken_at: 2 });
  });

  it('detects an edited record whose hashes were recomputed with a key other than the audit key', async () => {
    const log = await reopen(keyed);
    for (let amount = 1; amount <= 4; amount += 1) await log.append({ actor: 'a', action: 'n', data: { amount } });
    await log.close();
    await dropGuards(subject.database);
    await rewriteFrom(subject.database, log, 3, (record) => keyedAuditHash(record, 'a guessed key, not the audit key'));
    expect(await (await reopen(keyed)).verify()).toMatchObject({ valid: false, broken_at: 3, reason: expect.stringMatching(/keyed hash/) });
  });

  it('detects a whole chain recomputed unkeyed through the anchored head', async () => {
    const log = await reopen(keyed);
    for (let amount = 1; amount <= 3; amount += 1) await log.append({ actor: 'a', action: 'n', data: { amount } });
    await log.close();
    await dropGuards(subject.database);
    await rewriteFrom(subject.database, log, 1, auditHash);
    expect(await (await reopen(keyed)).verify()).toMatchObject({ valid: false, broken_at: 3, reason: expect.stringMatching(/anchor/) });
  });

  it('detects a cut-off tail through the anchor file', async () => {
    const log = await reopen(keyed);
    for (let amount = 1; amount <= 5; amount += 1) await log.append({ actor: 'a', action: 'n', data: { amount } });
    await log.close();
    await dropGuards(subject.database);
    await sql`DELETE FROM audit_log WHERE seq > 3`.execute(subject.database.db);
    // A restart anchors the shortened head too; the earlier, longer head still counts.
    const restarted = await reopen(keyed);
    expect(await restarted.verify()).toMatchObject({ valid: false, broken_at: 4, reason: expect.stringMatching(/tail cut off.*5 records.*has 3/) });
    await restarted.close();
  });

  it('reports a deleted anchor file', async () => {
    const log = await reopen(keyed);
    await log.append({ actor: 'a', action: 'n' });
    await log.close();
    rmSync(keyed.anchorFile!);
    const reader = await KyselyAuditLog.open(subject.database, { key: KEY });
    expect(await reader.verify()).toMatchObject({ valid: true, count: 1 });
    const anchored = await reopen({ ...keyed, anchorFile: join(directory, 'elsewhere') });
    rmSync(join(directory, 'elsewhere'));
    expect(await anchored.verify()).toMatchObject({ valid: false, reason: expect.stringMatching(/anchor file is missing/) });
  });

  it('keeps records written before keying verifiable as legacy unkeyed, and only as the start of the chain', async () => {
    await subject.log.append({ actor: 'a', action: 'n', data: { amount: 1 } });
    await subject.log.append({ actor: 'a', action: 'n', data: { amount: 2 } });
    const log = await reopen(keyed);
    await log.append({ actor: 'a', action: 'n', data: { amount: 3 } });
    await log.append({ actor: 'a', action: 'n', data: { amount: 4 } });
    expect(await log.verify()).toMatchObject({ valid: true, count: 4, keyed: true, legacy_unkeyed: 2 });
    await log.close();
    // A keyed record recomputed unkeyed (and the next one) is not legacy: it follows keyed records.
    await dropGuards(subject.database);
    await rewriteFrom(subject.database, log, 4, auditHash);
    expect(await (await reopen(keyed)).verify()).toMatchObject({ valid: false, broken_at: 4, reason: expect.stringMatching(/unkeyed hash after keyed/) });
  });

  it('chains records and verifies an intact chain', async () => {
    const first = await subject.log.append({ actor: 'tester', action: 'thing-happened', subject: 'x', data: { b: 1, a: 2 } });
    const second = await subject.log.append({ actor: 'tester', action: 'thing-happened', subject: 'y' });
    expect(first.seq).toBe(1);
    expect(second.prev_hash).toBe(first.hash);
    expect(await subject.log.verify()).toEqual({ valid: true, count: 2, head: second.hash });
  });

  it('keeps one chain under concurrent appends', async () => {
    await Promise.all(Array.from({ length: 50 }, (_, index) => subject.log.append({ actor: 'a', action: 'n', data: { index } })));
    const verification = await subject.log.verify();
    expect(verification).toMatchObject({ valid: true, count: 50 });
  });

  it('filters and pages', async () => {
    for (let index = 0; index < 5; index += 1) {
      await subject.log.append({ actor: index % 2 ? 'odd' : 'even', action: 'n', subject: `s${index}` });
    }
    expect((await subject.log.list({ actor: 'odd' })).map((record) => record.subject)).toEqual(['s1', 's3']);
    expect((await subject.log.list({ after_seq: 3 })).map((record) => record.seq)).toEqual([4, 5]);
    expect(await subject.log.list({ limit: 2 })).toHaveLength(2);
  });

  it('refuses updates and deletes at the database level', async () => {
    await subject.log.append({ actor: 'a', action: 'n' });
    await expect(sql`UPDATE audit_log SET actor = 'mallory'`.execute(subject.database.db)).rejects.toThrow(/append-only/);
    await expect(sql`DELETE FROM audit_log`.execute(subject.database.db)).rejects.toThrow(/append-only/);
  });

  it('appends inside a caller’s transaction: kept when it commits, gone when it rolls back, one chain with append()', async () => {
    const { db } = subject.database;
    await subject.log.append({ actor: 'a', action: 'before' });
    await db.transaction().execute((transaction) => subject.log.appendWithin(transaction, { actor: 'a', action: 'committed' }));
    await expect(
      db.transaction().execute(async (transaction) => {
        await subject.log.appendWithin(transaction, { actor: 'a', action: 'rolled-back' });
        throw new Error('the change failed');
      }),
    ).rejects.toThrow('the change failed');
    await Promise.all([
      subject.log.append({ actor: 'a', action: 'after' }),
      db.transaction().execute((transaction) => subject.log.appendWithin(transaction, { actor: 'a', action: 'alongside' })),
    ]);
    const actions = (await subject.log.list()).map((record) => record.action);
    expect(actions.slice(0, 2)).toEqual(['before', 'committed']);
    expect([...actions.slice(2)].sort()).toEqual(['after', 'alongside']);
    expect(await subject.log.verify()).toMatchObject({ valid: true, count: 4 });
  });

  it('detects a tampered record', async () => {
    await subject.log.append({ actor: 'a', action: 'n', data: { amount: 1 } });
    await subject.log.append({ actor: 'a', action: 'n', data: { amount: 2 } });
    // Tamper below the append-only guard, as an attacker with file access would.
    if (subject.database.dialect === 'sqlite') {
      await sql`DROP TRIGGER audit_log_no_update`.execute(subject.database.db);
    } else {
      await sql`ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_change`.execute(subject.database.db);
    }
    await sql`UPDATE audit_log SET data = '{"amount":100}' WHERE seq = 1`.execute(subject.database.db);
    expect(await subject.log.verify()).toMatchObject({ valid: false, broken_at: 1 });
  });
}

describeWithComponent('SQLite', undefined, '', () => {
  auditLogContract(async () => {
    const database = openDatabase(':memory:');
    const log = await KyselyAuditLog.open(database);
    return { log, database, close: () => database.close() };
  });
});

describeWithComponent(
  'PostgreSQL',
  await probePostgres(),
  'start it with: pg_ctlcluster --skip-systemctl-redirect 15 main start',
  () => {
    auditLogContract(async () => {
      const target = await createTestSchema('audit');
      const database = openDatabase(target.url, { schema: target.schema, poolSize: 2 });
      const log = await KyselyAuditLog.open(database);
      return {
        log,
        database,
        close: async () => {
          await database.close();
          await target.drop();
        },
      };
    });
  },
);
