import { describe, expect, it } from 'vitest';
import { RecentPredictions } from './recent-predictions.js';

describe('RecentPredictions', () => {
  it('returns the newest first and never holds more than its capacity', () => {
    const ring = new RecentPredictions<number>(3);
    expect(ring.latest()).toEqual([]);
    for (const value of [1, 2, 3, 4, 5]) ring.add(value);
    expect(ring.size).toBe(3);
    expect(ring.latest()).toEqual([5, 4, 3]);
    expect(ring.latest(2)).toEqual([5, 4]);
    expect(ring.latest(10)).toEqual([5, 4, 3]);
  });

  it('rejects a capacity below one', () => {
    expect(() => new RecentPredictions(0)).toThrow(RangeError);
  });
});
