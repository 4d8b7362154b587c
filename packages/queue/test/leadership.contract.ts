import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { type LeaderLease, LeaderGate, type Leadership } from '../src/leadership.js';

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
    acquire: (keys, owner) => guard(() => inner.acquire(keys, owner)),
    release: (key, owner) => guard(() => inner.release(key, owner)),
    leader: (key) => guard(() => inner.leader(key)),
    close: () => inner.close(),
    sever() {
      severed = true;
    },
  };
}

/** Takes or renews one key: its lease, or undefined when another owner holds it. */
const take = async (leadership: Leadership, key: string, owner: string): Promise<LeaderLease | undefined> => (await leadership.acquire([key], owner))[0];

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
    const first = await take(one, 'service:a', 'r1');
    expect(first).toMatchObject({ key: 'service:a', owner: 'r1' });
    expect(await take(two, 'service:a', 'r2')).toBeUndefined();
    expect(await take(one, 'service:a', 'r1')).toEqual(first);
    expect(await take(two, 'service:b', 'r2')).toMatchObject({ owner: 'r2' });
    expect(await two.leader('service:a')).toEqual(first);
    expect(await two.leader('service:none')).toBeUndefined();
  });

  it('elects exactly one of many owners asking at once', async () => {
    const handles = await openMany(5);
    const answers = await Promise.all(handles.map((handle, index) => take(handle, 'service:a', `r${index}`)));
    expect(answers.filter((answer) => answer !== undefined)).toHaveLength(1);
  });

  it('hands a key over once its holder stopped renewing, with a higher token; the old holder cannot renew', async () => {
    // A lease long enough that the check inside it stays inside it on a busy machine.
    const leaseMs = 3 * LEASE_MS;
    const [one, two] = await openTwo(leaseMs);
    const first = await take(one, 'service:a', 'dead');
    const takenAt = Date.now();
    await sleep(LEASE_MS / 2);
    expect(await take(two, 'service:a', 'alive')).toBeUndefined();
    await sleep(Math.max(0, takenAt + leaseMs + 300 - Date.now()));
    expect(await two.leader('service:a')).toBeUndefined();
    const second = await take(two, 'service:a', 'alive');
    expect(second).toMatchObject({ owner: 'alive' });
    expect(second!.token).toBeGreaterThan(first!.token);
    expect(await take(one, 'service:a', 'dead')).toBeUndefined();
  });

  it('renews many keys in one call: a key lost to another owner is not renewed; takeover raises its token', async () => {
    const [one, two] = await openTwo();
    const keys = ['service:a', 'service:b', 'service:c', 'service:b'];
    const first = await one.acquire(keys, 'r1');
    expect(first.map((lease) => lease.key).sort()).toEqual(['service:a', 'service:b', 'service:c']);
    const tokenOf = (leases: LeaderLease[], key: string) => leases.find((lease) => lease.key === key)?.token;
    // r1 keeps renewing a and c only; b runs out and r2 takes it.
    await sleep(LEASE_MS / 2);
    expect(await one.acquire(['service:a', 'service:c'], 'r1')).toHaveLength(2);
    await sleep(LEASE_MS / 2 + 300);
    const taken = await two.acquire(keys, 'r2');
    expect(taken.map((lease) => lease.key)).toEqual(['service:b']);
    expect(taken[0]!.token).toBeGreaterThan(tokenOf(first, 'service:b')!);
    // r1's next batch renews what it still holds, with unchanged tokens, and leaves b to r2.
    const renewed = await one.acquire(keys, 'r1');
    expect(renewed.map((lease) => lease.key).sort()).toEqual(['service:a', 'service:c']);
    expect(tokenOf(renewed, 'service:a')).toBe(tokenOf(first, 'service:a'));
    expect(await two.leader('service:b')).toEqual(taken[0]);
    expect(await one.acquire([], 'r1')).toEqual([]);
  });

  it('takes and renews more keys in one call than one statement holds', async () => {
    const [one, two] = await openTwo(60_000);
    const keys = Array.from({ length: 1_200 }, (_, index) => `service:${index}`);
    expect(await take(two, 'service:7', 'r2')).toMatchObject({ owner: 'r2' });
    const leases = await one.acquire(keys, 'r1');
    expect(leases).toHaveLength(1_199);
    expect(leases.some((lease) => lease.key === 'service:7')).toBe(false);
    expect(await one.acquire(keys, 'r1')).toEqual(expect.arrayContaining(leases));
  });

  it('gives a key up at release, only for its holder', async () => {
    const [one, two] = await openTwo(60_000);
    await take(one, 'service:a', 'r1');
    await two.release('service:a', 'r2');
    expect(await take(two, 'service:a', 'r2')).toBeUndefined();
    await one.release('service:a', 'r1');
    expect(await take(two, 'service:a', 'r2')).toMatchObject({ owner: 'r2' });
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
    // One lease period, plus one renewal interval for a survivor to ask again, plus room for a
    // busy machine's late timers and round trips (far less than a second lease period).
    expect(Date.now() - stoppedAt).toBeLessThan(LEASE_MS + LEASE_MS / 3 + 800);
    await Promise.all(gates.map((gate) => gate.stop()));
  });

  it('through LeaderGate: keys first asked about together share one call, and renewals cover them all in one', async () => {
    const inner = await fixture.open({ leaseMs: LEASE_MS });
    const calls: number[] = [];
    const counting: Leadership = {
      leaseMs: inner.leaseMs,
      acquire: (keys, owner) => {
        calls.push(keys.length);
        return inner.acquire(keys, owner);
      },
      release: (key, owner) => inner.release(key, owner),
      leader: (key) => inner.leader(key),
      close: () => inner.close(),
    };
    const gate = new LeaderGate(counting, 'r1');
    const keys = Array.from({ length: 50 }, (_, index) => `service:${index}`);
    expect(await Promise.all(keys.map((key) => gate.leads(key)))).toEqual(keys.map(() => true));
    expect(calls).toEqual([50]);
    await sleep(LEASE_MS / 3 + 150);
    expect(calls.slice(1).every((count) => count === 50)).toBe(true);
    expect(calls.length).toBeGreaterThan(1);
    await gate.stop();
  });
}
