import { describe, expect, it } from 'vitest';
import { BoundedOutput } from '../src/sandbox/bounded-output.js';

describe('BoundedOutput', () => {
  it('keeps everything under the limit', () => {
    const output = new BoundedOutput(10);
    output.push(Buffer.from('abc'));
    output.push(Buffer.from('defg'));
    expect(output.text()).toBe('abcdefg');
    expect(output.droppedBytes).toBe(0);
  });

  it('keeps the head and the tail across many chunks and counts the rest', () => {
    const output = new BoundedOutput(6);
    for (const chunk of ['ab', 'cd', 'ef', 'gh', 'ij', 'k']) output.push(Buffer.from(chunk));
    expect(output.totalBytes).toBe(11);
    expect(output.droppedBytes).toBe(5);
    expect(output.text()).toBe('abc\n[… 5 bytes of output truncated …]\nijk');
  });

  it('handles a single chunk larger than the limit', () => {
    const output = new BoundedOutput(4);
    output.push(Buffer.from('0123456789'));
    expect(output.text()).toBe('01\n[… 6 bytes of output truncated …]\n89');
  });
});
