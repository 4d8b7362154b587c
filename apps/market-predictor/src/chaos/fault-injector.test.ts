import { describe, expect, it, vi } from 'vitest';
import { CRASH_EXIT_CODE, FaultInjector } from './fault-injector.js';

/** A scripted source of "random" numbers, replayed in order. */
const scripted = (...values: number[]) => {
  let index = 0;
  return () => values[index++ % values.length] as number;
};

describe('FaultInjector', () => {
  it('delays a request when the draw is below the probability', () => {
    const faults = new FaultInjector({ random: scripted(0.2, 0.7) });
    faults.setLatency(250, 0.5);
    expect(faults.latencyFor()).toBe(250); // 0.2 < 0.5
    expect(faults.latencyFor()).toBe(0); // 0.7 ≥ 0.5
  });

  it('fails a request when the draw is below the rate', () => {
    const faults = new FaultInjector({ random: scripted(0.09, 0.1) });
    faults.setErrors(0.1);
    expect(faults.shouldFail()).toBe(true);
    expect(faults.shouldFail()).toBe(false);
  });

  it('reports active faults with their parameters and start time', () => {
    const faults = new FaultInjector({ now: () => Date.parse('2026-01-02T03:04:05Z') });
    expect(faults.report()).toEqual({ active_faults: [] });
    faults.setLatency(100);
    faults.setErrors(0.25);
    faults.hang();
    expect(faults.report()).toEqual({
      active_faults: ['latency', 'errors', 'hang'],
      latency: { ms: 100, probability: 1, since: '2026-01-02T03:04:05.000Z' },
      errors: { rate: 0.25, since: '2026-01-02T03:04:05.000Z' },
      hang: { since: '2026-01-02T03:04:05.000Z', held_requests: 0 },
    });
    expect(faults.clear()).toEqual(['latency', 'errors', 'hang']);
    expect(faults.report()).toEqual({ active_faults: [] });
    expect(faults.hung).toBe(false);
  });

  it('leaks up to max_mb, in steps, and frees it on clear', async () => {
    vi.useFakeTimers();
    try {
      const faults = new FaultInjector();
      faults.startMemoryLeak(10, 2.5); // 1 MiB per 100 ms tick, capped at 2.5 MiB
      await vi.advanceTimersByTimeAsync(100);
      expect(faults.leakedBytes).toBe(1024 * 1024);
      await vi.advanceTimersByTimeAsync(1000);
      expect(faults.leakedBytes).toBe(2.5 * 1024 * 1024);
      faults.clear();
      expect(faults.leakedBytes).toBe(0);
      expect(faults.activeFaults()).toEqual([]);
    } finally {
      vi.useRealTimers();
    }
  });

  it('exits with the crash status after the delay', async () => {
    vi.useFakeTimers();
    try {
      const exit = vi.fn();
      new FaultInjector({ exit }).scheduleCrash(500);
      await vi.advanceTimersByTimeAsync(499);
      expect(exit).not.toHaveBeenCalled();
      await vi.advanceTimersByTimeAsync(1);
      expect(exit).toHaveBeenCalledWith(CRASH_EXIT_CODE);
    } finally {
      vi.useRealTimers();
    }
  });
});
