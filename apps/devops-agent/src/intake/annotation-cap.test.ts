import { describe, expect, it } from 'vitest';
import { capAnnotations, TRUNCATION_MARK } from './annotation-cap.js';

describe('capAnnotations', () => {
  it('keeps short values, cuts long ones with a marker naming what was left out, and bounds the count', () => {
    const capped = capAnnotations({ summary: 'short', description: 'y'.repeat(1_000_000) }, 100);
    expect(capped.summary).toBe('short');
    expect(capped.description).toBe(`${'y'.repeat(100)}${TRUNCATION_MARK}999900 more characters]`);
    const many = Object.fromEntries(Array.from({ length: 50 }, (_, index) => [`a${index}`, 'v']));
    expect(Object.keys(capAnnotations(many, 10, 32))).toHaveLength(32);
  });
});
