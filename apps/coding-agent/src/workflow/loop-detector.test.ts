import { describe, expect, it } from 'vitest';
import { LoopDetector } from './loop-detector.js';
import { branchName } from './git-operations.js';

describe('LoopDetector', () => {
  it('answers true only the second time the same failure is seen, per kind', () => {
    const loops = new LoopDetector();
    expect(loops.repeated('test', 'not ok 1 - adds')).toBe(false);
    expect(loops.repeated('test', 'not ok 2 - subtracts')).toBe(false);
    expect(loops.repeated('edit', 'not ok 1 - adds')).toBe(false);
    expect(loops.repeated('test', 'not ok 1 - adds')).toBe(true);
  });
});

describe('branchName', () => {
  it('is atb/<task-id>-<slug>', () => {
    expect(branchName('t123', 'Fix the add() function: it subtracts!')).toBe('atb/t123-fix-the-add-function-it-subtracts');
    expect(branchName('t1', '!!!')).toBe('atb/t1');
    expect(branchName('t1', 'x'.repeat(100)).length).toBe('atb/t1-'.length + 40);
  });
});
