import { describe, expect, it } from 'vitest';
import { applyEdit, closestLines, lineSimilarity } from './apply-edit.js';

const FILE = ['export function add(a, b) {', '  if (a == null) {', '    return b;', '  }', '  return a - b;', '}', ''].join('\n');

describe('applyEdit', () => {
  it('applies an exact match', () => {
    const result = applyEdit(FILE, '  return a - b;', '  return a + b;');
    expect(result).toMatchObject({ ok: true, match: 'exact' });
    expect(result.ok && result.content).toContain('  return a + b;');
  });

  it('falls back to a whitespace-tolerant match and re-indents the replacement', () => {
    const result = applyEdit(FILE, 'if (a == null) {\n  return b;\n}', 'if (a === undefined) {\n  return b;\n}');
    expect(result).toMatchObject({ ok: true, match: 'whitespace' });
    expect(result.ok && result.content.split('\n').slice(1, 4)).toEqual(['  if (a === undefined) {', '    return b;', '  }']);
  });

  it('tolerates trailing spaces and blank edge lines in the search', () => {
    const result = applyEdit(FILE, '\n  return a - b;   \n', '  return a + b;');
    expect(result).toMatchObject({ ok: true, match: 'whitespace' });
    expect(result.ok && result.content).toContain('  return a + b;\n}');
  });

  it('on a miss returns the closest real lines', () => {
    const result = applyEdit(FILE, '  return a minus b;', '  return a + b;');
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.closest?.startLine).toBe(5);
    expect(result.closest?.lines).toEqual(['  return a - b;']);
  });

  it('refuses an empty search', () => {
    expect(applyEdit(FILE, '  ', 'x')).toMatchObject({ ok: false });
  });
});

describe('line similarity', () => {
  it('is 1 for equal lines, low for unrelated ones', () => {
    expect(lineSimilarity('  return a;', 'return a;')).toBe(1);
    expect(lineSimilarity('return a - b;', 'import fs from "node:fs";')).toBeLessThan(0.3);
  });

  it('finds the most similar window', () => {
    expect(closestLines('a\nfoo(bar)\nbaz(qux)\nz', 'foo(baz)\nbaz(qux)')?.startLine).toBe(2);
  });
});
