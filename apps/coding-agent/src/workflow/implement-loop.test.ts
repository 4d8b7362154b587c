import { describe, expect, it } from 'vitest';
import { filesInOutput } from './implement-loop.js';

describe('filesInOutput', () => {
  it('finds workspace files in TAP locations and stack traces, relative, without duplicates', () => {
    const output = [
      "  location: '/work/ws/t1/test/math.test.js:5:1'",
      '    at add (file:///work/ws/t1/src/math.js:7:10)',
      '    at TestContext.<anonymous> (file:///work/ws/t1/test/math.test.js:6:16)',
      '    at x (/work/ws/t1/node_modules/lib/index.js:1:1)',
      '    at y (/work/ws/t10/src/other.js:1:1)',
      '    at node:internal/test_runner/test:796:25',
    ].join('\n');
    expect(filesInOutput('/work/ws/t1', output)).toEqual(['test/math.test.js', 'src/math.js']);
  });
});
