import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Database, openDatabase } from '@atb/storage';
import { createTestSchema, describeWithComponent, probePostgres } from '@atb/testing';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { defaultPolicy } from '../src/policy/policy.js';
import { TargetGuard } from '../src/policy/target-guard.js';
import { TargetClaimsStore } from '../src/store/target-claims-store.js';

interface Subject {
  /** Opens another handle on the same database, as another gateway replica would. */
  openDatabase(): Database<unknown>;
  close(): Promise<void>;
}

/** The target guard's rules, on a real database, for one replica and for two sharing it. */
function targetGuardContract(open: () => Promise<Subject>) {
  let subject: Subject;
  const databases: Database<unknown>[] = [];
  let now = 1_000_000;
  const guardFor = async (owner: string) => {
    const database = subject.openDatabase();
    databases.push(database);
    return new TargetGuard(defaultPolicy(), await TargetClaimsStore.open(database), { owner, lockMs: 100_000, now: () => now });
  };
  beforeEach(async () => {
    subject = await open();
    now = 1_000_000;
  });
  afterEach(async () => {
    await Promise.all(databases.splice(0).map((database) => database.close()));
    await subject.close();
  });

  it('allows 3 restarts in 10 minutes and refuses the 4th until the window moves on', async () => {
    const guard = await guardFor('gateway-a');
    for (let index = 0; index < 3; index++) {
      const admission = await guard.admit('restart', 'market-predictor', `r${index}`);
      expect(admission.ok).toBe(true);
      if (admission.ok) await admission.lease.release();
      now += 1000;
    }
    const fourth = await guard.admit('restart', 'market-predictor', 'r3');
    expect(fourth).toMatchObject({ ok: false, rejection: { code: 'rate_limited' } });
    if (!fourth.ok) expect(fourth.rejection.reason).toMatch(/retry in 597 s/);
    const other = await guard.admit('restart', 'other', 'r4');
    expect(other.ok).toBe(true);
    now += 600_000;
    expect((await guard.admit('restart', 'market-predictor', 'r5')).ok).toBe(true);
  });

  it('admits one mutating operation per target at a time; reads are never blocked', async () => {
    const guard = await guardFor('gateway-a');
    const first = await guard.admit('stop', 'market-predictor', 'r1');
    expect(first.ok).toBe(true);
    expect(await guard.admit('start', 'market-predictor', 'r2')).toMatchObject({ ok: false, rejection: { code: 'target_busy' } });
    expect((await guard.admit('logs', 'market-predictor', 'r3')).ok).toBe(true);
    if (first.ok) await first.lease.release();
    expect((await guard.admit('start', 'market-predictor', 'r4')).ok).toBe(true);
  });

  it('holds both rules across two replicas on one database', async () => {
    const [left, right] = [await guardFor('gateway-a'), await guardFor('gateway-b')];
    const racing = await Promise.all(
      Array.from({ length: 6 }, (_, index) => (index % 2 ? left : right).admit('restart', 'market-predictor', `race-${index}`)),
    );
    expect(racing.filter((admission) => admission.ok)).toHaveLength(1);
    expect(racing.filter((admission) => !admission.ok && admission.rejection.code === 'target_busy')).toHaveLength(5);
    for (const admission of racing) if (admission.ok) await admission.lease.release();
    const counted = [];
    for (let index = 0; index < 3; index++) {
      const admission = await (index % 2 ? left : right).admit('restart', 'market-predictor', `seq-${index}`);
      counted.push(admission.ok ? 'ok' : admission.rejection.code);
      if (admission.ok) await admission.lease.release();
    }
    expect(counted).toEqual(['ok', 'ok', 'rate_limited']);
  });

  it('frees the lock of a replica that died mid-operation once its lease ran out', async () => {
    const [dead, live] = [await guardFor('gateway-dead'), await guardFor('gateway-live')];
    expect((await dead.admit('stop', 'market-predictor', 'r1')).ok).toBe(true); // never released
    expect(await live.admit('stop', 'market-predictor', 'r2')).toMatchObject({ ok: false, rejection: { code: 'target_busy' } });
    now += 100_001;
    expect((await live.admit('stop', 'market-predictor', 'r3')).ok).toBe(true);
  });
}

describeWithComponent('SQLite', undefined, '', () => {
  targetGuardContract(async () => {
    const directory = mkdtempSync(join(tmpdir(), 'gateway-guard-'));
    return {
      openDatabase: () => openDatabase<unknown>(join(directory, 'gateway.db')),
      close: async () => rmSync(directory, { recursive: true, force: true }),
    };
  });
});

describeWithComponent('PostgreSQL', await probePostgres(), 'start it: pg_ctlcluster 15 main start', () => {
  targetGuardContract(async () => {
    const target = await createTestSchema('gateway_guard');
    return {
      openDatabase: () => openDatabase<unknown>(target.url, { schema: target.schema, poolSize: 4 }),
      close: () => target.drop(),
    };
  });
});
