import { createTestSchema, describeWithComponent, probePostgres } from '@atb/testing';
import { sql } from 'kysely';
import { afterEach, beforeEach, expect, it } from 'vitest';
import type { AuditLog } from '../src/audit-log.js';
import { type Database, openDatabase } from '../src/database.js';
import { KyselyAuditLog } from '../src/kysely-audit-log.js';

interface Subject {
  log: AuditLog & Pick<KyselyAuditLog, 'appendWithin'>;
  database: Database<unknown>;
  close(): Promise<void>;
}

/** The one contract every audit log backend passes. */
function auditLogContract(open: () => Promise<Subject>) {
  let subject: Subject;
  beforeEach(async () => {
    subject = await open();
  });
  afterEach(async () => {
    await subject.close();
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
