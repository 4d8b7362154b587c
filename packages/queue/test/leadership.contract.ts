import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { LeaderGate, type Leadership } from '../src/leadership.js';

/** One backing store and a way to open handles on it, one per replica. */
export interface LeadershipFixture {
  open(options: { leaseMs: number }): Promise<Leadership>;
  destroy(): Promise<void>;
}

// Long enough that a renewal on a busy machine never misses it.
const LEASE_MS = 900;

/** A replica's handle that can be cut off, as a replica that dies or loses its network is. */
function severable(inner: Leadership): Leadership & { sever(): void } {
  let severed = false;
  const guard = <T>(call: () => Promise<T>) => (severed ? Promise.reject(new Error('severed')) : call());
  return {
    leaseMs: inner.leaseMs,
    acquire: (key, owner) => guard(() => inner.acquire(key, owner)),
    release: (key, owner) => guard(() => inner.release(key, owner)),
    leader: (key) => guard(() => inner.leader(key)),
    close: () => inner.close(),
    sever() {
      severed = true;
    },
  };
}

/** The contract every {@link Leadership} implementation meets. */
export function leadershipContract(create: () => Promise<LeadershipFixture>): void {
  let fixture: LeadershipFixture;
  const openMany = async (count: number, leaseMs = LEASE_MS) => {
    const handles: Leadership[] = [];
    for (let index = 0; index < count; index += 1) handles.push(await fixture.open({ leaseMs }));
    return handles;
  };
  const openTwo = async (leaseMs = LEASE_MS): Promise<[Leadership, Leadership]> => [await fixture.open({ leaseMs }), await fixture.open({ leaseMs })];
  beforeEach(async () => {
    fixture = await create();
  });
  afterEach(async () => {
    await fixture.destroy();
  });

  it('lets one owner hold a key; renewing keeps its token; other keys are independent', async () => {
    const [one, two] = await openTwo();
    const first = await one.acquire('service:a', 'r1');
    expect(first).toMatchObject({ key: 'service:a', owner: 'r1' });
    expect(await two.acquire('service:a', 'r2')).toBeUndefined();
    expect(await one.acquire('service:a', 'r1')).toEqual(first);
    expect(await two.acquire('service:b', 'r2')).toMatchObject({ owner: 'r2' });
    expect(await two.leader('service:a')).toEqual(first);
    expect(await two.leader('service:none')).toBeUndefined();
  });

  it('elects exactly one of many owners asking at once', async () => {
    const handles = await openMany(5);
    const answers = await Promise.all(handles.map((handle, index) => handle.acquire('service:a', `r${index}`)));
    expect(answers.filter((answer) => answer !== undefined)).toHaveLength(1);
  });

  it('hands a key over once its holder stopped renewing, with a higher token; the old holder cannot renew', async () => {
    const [one, two] = await openTwo();
    const first = await one.acquire('service:a', 'dead');
    await sleep(LEASE_MS / 2);
    expect(await two.acquire('service:a', 'alive')).toBeUndefined();
    await sleep(LEASE_MS / 2 + 300);
    expect(await two.leader('service:a')).toBeUndefined();
    const second = await two.acquire('service:a', 'alive');
    expect(second).toMatchObject({ owner: 'alive' });
    expect(second!.token).toBeGreaterThan(first!.token);
    expect(await one.acquire('service:a', 'dead')).toBeUndefined();
  });

  it('gives a key up at release, only for its holder', async () => {
    const [one, two] = await openTwo(60_000);
    await one.acquire('service:a', 'r1');
    await two.release('service:a', 'r2');
    expect(await two.acquire('service:a', 'r2')).toBeUndefined();
    await one.release('service:a', 'r1');
    expect(await two.acquire('service:a', 'r2')).toMatchObject({ owner: 'r2' });
  });

  it('through LeaderGate: one of three replicas leads, and another within one lease period after it stops', async () => {
    const handles = (await openMany(3)).map(severable);
    const gates = handles.map((handle, index) => new LeaderGate(handle, `r${index}`));
    const leading = async () => (await Promise.all(gates.map((gate) => gate.leads('service:a')))).map((leads, index) => (leads ? index : -1)).filter((index) => index >= 0);
    const [leader] = await leading();
    expect(await leading()).toEqual([leader]);
    const survivors = gates.filter((_, index) => index !== leader);
    // The leader dies without giving up: its renewals stop, its lease runs out.
    handles[leader!]!.sever();
    const stoppedAt = Date.now();
    let next: number[] = [];
    while (next.length === 0 && Date.now() - stoppedAt < LEASE_MS * 3) {
      await sleep(50);
      next = (await Promise.all(survivors.map((gate) => gate.leads('service:a')))).flatMap((leads, index) => (leads ? [index] : []));
    }
    expect(next).toHaveLength(1);
    // One lease period, plus one renewal interval for a survivor to ask again.
    expect(Date.now() - stoppedAt).toBeLessThan(LEASE_MS + LEASE_MS / 3 + 400);
    await Promise.all(gates.map((gate) => gate.stop()));
  });
}
