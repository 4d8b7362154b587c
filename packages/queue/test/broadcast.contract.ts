import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, beforeEach, expect, it } from 'vitest';
import type { Broadcast } from '../src/broadcast.js';

/** One backing store and a way to open handles on it, one per replica. */
export interface BroadcastFixture {
  open(): Promise<Broadcast>;
  destroy(): Promise<void>;
  /** Whether two handles reach each other (false for the one-process implementation). */
  shared: boolean;
  /** Drops every connection the handles hold, from the server's side (absent in one process). */
  sever?(): Promise<void>;
}

async function until(check: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check() && Date.now() < deadline) await sleep(10);
}

/** The contract every {@link Broadcast} implementation meets. */
export function broadcastContract(create: () => Promise<BroadcastFixture>, options: { connections: boolean }): void {
  let fixture: BroadcastFixture;
  beforeEach(async () => {
    fixture = await create();
  });
  afterEach(async () => {
    await fixture.destroy();
  });

  it('delivers each message once to every subscriber of its channel, in order, and nothing of other channels', async () => {
    const publisher = await fixture.open();
    const listener = fixture.shared ? await fixture.open() : publisher;
    const seen: unknown[] = [];
    const alsoSeen: unknown[] = [];
    const other: unknown[] = [];
    await listener.subscribe('tasks', (message) => seen.push(message));
    await publisher.subscribe('tasks', (message) => alsoSeen.push(message));
    await listener.subscribe('other', (message) => other.push(message));
    for (let n = 0; n < 50; n += 1) await publisher.publish('tasks', { n, text: 'ünïcode ✓' });
    await until(() => seen.length >= 50 && alsoSeen.length >= 50);
    await sleep(100);
    const expected = Array.from({ length: 50 }, (_, n) => ({ n, text: 'ünïcode ✓' }));
    expect(seen).toEqual(expected);
    expect(alsoSeen).toEqual(expected);
    expect(other).toEqual([]);
  });

  it('stops delivering to an unsubscribed listener and keeps the others', async () => {
    const publisher = await fixture.open();
    const listener = fixture.shared ? await fixture.open() : publisher;
    const first: unknown[] = [];
    const second: unknown[] = [];
    const stop = await listener.subscribe('tasks', (message) => first.push(message));
    await listener.subscribe('tasks', (message) => second.push(message));
    await publisher.publish('tasks', { n: 1 });
    await until(() => first.length === 1 && second.length === 1);
    await stop();
    await publisher.publish('tasks', { n: 2 });
    await until(() => second.length === 2);
    await sleep(100);
    expect(first).toEqual([{ n: 1 }]);
    expect(second).toEqual([{ n: 1 }, { n: 2 }]);
  });

  it('refuses a message over the size limit and a bad channel name, naming them', async () => {
    const broadcast = await fixture.open();
    await expect(broadcast.publish('tasks', { text: 'x'.repeat(8000) })).rejects.toThrow(/"tasks" is \d+ bytes; at most 7500/);
    await expect(broadcast.publish('Bad Channel', {})).rejects.toThrow(/channel must match/);
    await expect(broadcast.subscribe('Bad Channel', () => {})).rejects.toThrow(/channel must match/);
  });

  if (options.connections) it('keeps delivering after the server drops its connections: it reconnects and listens again', async () => {
    if (!fixture.sever) throw new Error('a fixture with connections must say how to sever them');
    const publisher = await fixture.open();
    const listener = await fixture.open();
    const seen: number[] = [];
    await listener.subscribe('tasks', (message) => seen.push(message.n as number));
    await publisher.publish('tasks', { n: 1 });
    await until(() => seen.length === 1);
    await fixture.sever();
    // Delivery resumes once the listener is back; publish until a message gets through.
    const deadline = Date.now() + 10_000;
    for (let n = 2; seen.length === 1 && Date.now() < deadline; n += 1) {
      await publisher.publish('tasks', { n }).catch(() => {});
      await sleep(100);
    }
    expect(seen[0]).toBe(1);
    expect(seen.length).toBeGreaterThan(1);
    expect(seen).toEqual([...seen].sort((a, b) => a - b));
  });
}
