import { describe, expect, it } from 'vitest';
import { fitToBudget } from '../src/tool-output-budget.js';

describe('tool output budget', () => {
  it('keeps short output untouched', () => {
    expect(fitToBudget('a\nb', 100)).toEqual({ text: 'a\nb', original_chars: 3, duplicate_lines: 0, dropped_lines: 0 });
  });

  it('folds repeated lines that differ only in numbers', () => {
    const lines = Array.from({ length: 300 }, (_, index) => `12:00:${index} GET /health 200 ${index}ms`);
    const result = fitToBudget([...lines, 'FATAL crash'].join('\n'), 500);
    expect(result.text.length).toBeLessThanOrEqual(500);
    expect(result.duplicate_lines).toBe(299);
    expect(result.text).toContain('[×300 similar lines]');
    expect(result.text).toContain('FATAL crash');
  });

  it('keeps head and tail with a note of what was dropped', () => {
    const lines = Array.from({ length: 1000 }, (_, index) => `line ${'x'.repeat(index % 7)} unique-${String.fromCharCode(97 + (index % 26))}${index.toString(36)}`);
    lines[0] = 'FIRST LINE';
    lines[999] = 'LAST LINE';
    const result = fitToBudget(lines.join('\n'), 1_000);
    expect(result.text.length).toBeLessThanOrEqual(1_000);
    expect(result.text.startsWith('[') || result.text.startsWith('FIRST LINE')).toBe(true);
    expect(result.text).toContain('FIRST LINE');
    expect(result.text.endsWith('LAST LINE')).toBe(true);
    expect(result.text).toMatch(/\[… \d+ lines \(\d+ chars\) dropped to fit the 1000-char budget …\]/);
    expect(result.dropped_lines).toBeGreaterThan(900);
  });

  it('cuts one enormous line at both ends', () => {
    const result = fitToBudget(`START${'y'.repeat(10_000)}END`, 400);
    expect(result.text.length).toBeLessThanOrEqual(400);
    expect(result.text).toContain('START');
    expect(result.text.endsWith('END')).toBe(true);
  });
});
