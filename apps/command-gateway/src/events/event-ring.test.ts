import { describe, expect, it } from 'vitest';
import { EventRing } from './event-ring.js';

const started = Date.parse('2026-12-02T00:00:00Z');

function ringWith(count: number, capacity = 3) {
  const ring = new EventRing<{ id: string }>(capacity, started);
  for (let index = 0; index < count; index++) ring.push((id) => ({ id }));
  return ring;
}

const ids = (events: { id: string }[]) => events.map((event) => event.id);
const first = started * 1000;

describe('EventRing', () => {
  it('numbers events from the start time in ms × 1000, one apart', () => {
    expect(ids(ringWith(3).after(String(first - 1)).events)).toEqual([String(first), String(first + 1), String(first + 2)]);
  });

  it('gives a new client nothing old, and a caught-up client nothing', () => {
    expect(ringWith(2).after(undefined)).toEqual({ events: [] });
    expect(ringWith(2).after(String(first + 1))).toEqual({ events: [] });
  });

  it('replays exactly what came after the client id', () => {
    expect(ringWith(3).after(String(first))).toEqual({ events: [{ id: String(first + 1) }, { id: String(first + 2) }] });
  });

  it('says missed, with the oldest held, when the ring moved past the client id', () => {
    const replay = ringWith(5).after(String(first));
    expect(replay.missed).toEqual({ oldest: String(first + 2) });
    expect(ids(replay.events)).toEqual([String(first + 2), String(first + 3), String(first + 4)]);
    // One before the oldest held is no gap.
    expect(ringWith(5).after(String(first + 1)).missed).toBeUndefined();
  });

  it('says missed for an id it never handed out: an earlier run, a future id, junk', () => {
    for (const id of [String(first - 5000), String(first + 99), 'abc', '', '1'.repeat(30)]) {
      expect(ringWith(2).after(id).missed, id).toBeDefined();
    }
    expect(ringWith(0).after(String(first - 5000))).toEqual({ events: [], missed: {} });
  });
});
