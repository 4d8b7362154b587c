import { describe, expect, it } from 'vitest';
import { formatEditBlock, parseEditBlocks } from './edit-blocks.js';

describe('parseEditBlocks', () => {
  it('reads several blocks with their paths, in order', () => {
    const answer = [
      'I will fix the sign.',
      '',
      'src/math.js',
      '<<<<<<< SEARCH',
      '  return a - b;',
      '=======',
      '  return a + b;',
      '>>>>>>> REPLACE',
      '',
      '```js',
      '`src/new.js`',
      '<<<<<<< SEARCH',
      '=======',
      'export const x = 1;',
      '>>>>>>> REPLACE',
      '```',
    ].join('\n');
    const parsed = parseEditBlocks(answer);
    expect(parsed.errors).toEqual([]);
    expect(parsed.blocks).toEqual([
      { path: 'src/math.js', search: '  return a - b;', replace: '  return a + b;' },
      { path: 'src/new.js', search: '', replace: 'export const x = 1;' },
    ]);
  });

  it('takes the path from the line before a fence and strips markup', () => {
    const parsed = parseEditBlocks('**lib/a.py**\n```python\n<<<<<<< SEARCH\nx = 1\n=======\nx = 2\n>>>>>>> REPLACE\n```');
    expect(parsed.blocks[0]?.path).toBe('lib/a.py');
  });

  it('reports unterminated blocks and blocks without a path', () => {
    expect(parseEditBlocks('a.js\n<<<<<<< SEARCH\nx\n=======\ny\n').errors[0]).toMatch(/REPLACE/);
    expect(parseEditBlocks('<<<<<<< SEARCH\nx\n=======\ny\n>>>>>>> REPLACE').errors[0]).toMatch(/file path/);
    expect(parseEditBlocks('a.js\n<<<<<<< SEARCH\nx\n>>>>>>> REPLACE').errors[0]).toMatch(/=======/);
  });

  it('round-trips through formatEditBlock', () => {
    const block = { path: 'src/a.ts', search: 'const a = 1;\nconst b = 2;', replace: 'const a = 3;' };
    expect(parseEditBlocks(formatEditBlock(block)).blocks).toEqual([block]);
  });
});
