import { describe, expect, it } from 'vitest';
import { LineRing } from '../src/control-line-ring.js';

describe('LineRing', () => {
  it('keeps the most recent lines in order once it wraps around', () => {
    const ring = new LineRing(3);
    for (const line of ['a', 'b', 'c', 'd', 'e']) ring.push(line);
    expect(ring.size).toBe(3);
    expect(ring.last(10)).toEqual(['c', 'd', 'e']);
    expect(ring.last(2)).toEqual(['d', 'e']);
    expect(ring.last(0)).toEqual([]);
  });

  it('caps very long lines', () => {
    const ring = new LineRing(2);
    ring.push('x'.repeat(20_000));
    expect(ring.last(1)[0]).toHaveLength(16_385);
  });
});
