import { MUTATING_OPERATIONS, type Operation } from '@atb/contracts';
import type { Policy } from './policy.js';
import type { Rejection } from './rejection.js';

/** Released when the operation has really finished (even if the caller stopped waiting). */
export interface TargetLease {
  release(): void;
}

/**
 * Per-target admission: at most one mutating operation (restart, start, stop) per target at a
 * time, and the policy's sliding-window rate limits (by default 3 restarts in 10 minutes). A
 * second mutating request while one runs is `rejected` with `target_busy` (not queued: a queued
 * restart behind a restart is almost never what the caller wants). Admission is synchronous, so
 * two concurrent requests can never both pass.
 */
export class TargetGuard {
  private readonly busy = new Set<string>();
  private readonly history = new Map<string, number[]>();

  constructor(
    private readonly policy: Policy,
    private readonly now: () => number = Date.now,
  ) {}

  /** Seeds the windows with operations recorded before a restart of the gateway. */
  remember(operation: Operation, target: string, atMs: number): void {
    const key = `${operation}\u0000${target}`;
    const times = this.history.get(key) ?? [];
    times.push(atMs);
    this.history.set(key, times);
  }

  /** Admits the operation (and counts it) or says why not. */
  admit(operation: Operation, target: string): { ok: true; lease: TargetLease } | { ok: false; rejection: Rejection } {
    const mutating = MUTATING_OPERATIONS.has(operation);
    if (mutating && this.busy.has(target)) {
      return {
        ok: false,
        rejection: {
          code: 'target_busy',
          reason: `another restart, start or stop of "${target}" is still running; retry when it has finished`,
        },
      };
    }
    const limit = this.policy.rate_limits[operation];
    if (limit) {
      const key = `${operation}\u0000${target}`;
      const now = this.now();
      const windowStart = now - limit.window_seconds * 1000;
      const recent = (this.history.get(key) ?? []).filter((time) => time > windowStart);
      if (recent.length >= limit.max) {
        const oldest = Math.min(...recent);
        const retryInSeconds = Math.max(1, Math.ceil((oldest + limit.window_seconds * 1000 - now) / 1000));
        this.history.set(key, recent);
        return {
          ok: false,
          rejection: {
            code: 'rate_limited',
            reason: `"${target}" had ${recent.length} ${operation} operation(s) in the last ${limit.window_seconds} s (limit ${limit.max}); retry in ${retryInSeconds} s`,
          },
        };
      }
      recent.push(now);
      this.history.set(key, recent);
    }
    if (!mutating) return { ok: true, lease: { release: () => {} } };
    this.busy.add(target);
    let released = false;
    return {
      ok: true,
      lease: {
        release: () => {
          if (released) return;
          released = true;
          this.busy.delete(target);
        },
      },
    };
  }
}
