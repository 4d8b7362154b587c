import { MUTATING_OPERATIONS, type Operation } from '@atb/contracts';
import type { TargetClaimsStore } from '../store/target-claims-store.js';
import type { Policy } from './policy.js';
import type { Rejection } from './rejection.js';

/** Released when the operation has really finished (even if the caller stopped waiting). */
export interface TargetLease {
  /** Frees the target; safe to call more than once, never rejects. */
  release(): Promise<void>;
}

export interface TargetGuardOptions {
  /** This gateway replica's name on its target locks. */
  owner: string;
  /**
   * How long a target lock lasts: longer than any operation may run (deadline plus grace), so
   * only the lock of a replica that died mid-operation ever runs out.
   */
  lockMs: number;
  /** Clock for the rate-limit windows and lock leases (tests). */
  now?: () => number;
}

/**
 * Per-target admission: at most one mutating operation (restart, start, stop) per target at a
 * time, and the policy's sliding-window rate limits (by default 3 restarts in 10 minutes). A
 * second mutating request while one runs is `rejected` with `target_busy` (not queued: a queued
 * restart behind a restart is almost never what the caller wants). Both rules hold across every
 * gateway replica sharing the database: the lock is a unique row per target, and a window's check
 * and count are one serialised transaction, so two concurrent requests can never both pass.
 * A refused rate-limited request does not count.
 */
export class TargetGuard {
  private readonly now: () => number;

  constructor(
    private readonly policy: Policy,
    private readonly store: TargetClaimsStore,
    private readonly options: TargetGuardOptions,
  ) {
    this.now = options.now ?? Date.now;
  }

  /** Frees the target lock held for `requestId` (a dead replica's operation, confirmed finished at the runtime). */
  async releaseFor(target: string, requestId: string): Promise<void> {
    await this.store.unlockTarget(target, requestId);
  }

  /** Admits the operation (and counts it) or says why not. */
  async admit(
    operation: Operation,
    target: string,
    requestId: string,
  ): Promise<{ ok: true; lease: TargetLease } | { ok: false; rejection: Rejection }> {
    const mutating = MUTATING_OPERATIONS.has(operation);
    const now = this.now();
    if (mutating && !(await this.store.lockTarget(target, this.options.owner, requestId, now + this.options.lockMs, now))) {
      return {
        ok: false,
        rejection: {
          code: 'target_busy',
          reason: `another restart, start or stop of "${target}" is still running; retry when it has finished`,
        },
      };
    }
    const lease = mutating ? this.leaseOf(target, requestId) : { release: async () => {} };
    const limit = this.policy.rate_limits[operation];
    if (limit) {
      const windowMs = limit.window_seconds * 1000;
      let admission: Awaited<ReturnType<TargetClaimsStore['countWithinLimit']>>;
      try {
        admission = await this.store.countWithinLimit(`${operation} ${target}`, requestId, now, now - windowMs, limit.max);
      } catch (error) {
        await lease.release();
        throw error;
      }
      if (!admission.admitted) {
        await lease.release();
        const retryInSeconds = Math.max(1, Math.ceil((admission.oldestMs + windowMs - now) / 1000));
        return {
          ok: false,
          rejection: {
            code: 'rate_limited',
            reason: `"${target}" had ${admission.count} ${operation} operation(s) in the last ${limit.window_seconds} s (limit ${limit.max}); retry in ${retryInSeconds} s`,
          },
        };
      }
    }
    return { ok: true, lease };
  }

  /** Where `operation` on `target` stands in its rate-limit window now (undefined: no limit); counts nothing. */
  async rateState(operation: Operation, target: string): Promise<{ used: number; remaining: number; retry_in_seconds: number | null } | undefined> {
    const limit = this.policy.rate_limits[operation];
    if (!limit) return undefined;
    const now = this.now();
    const windowMs = limit.window_seconds * 1000;
    const { count, oldestMs } = await this.store.countInWindow(`${operation} ${target}`, now - windowMs);
    const remaining = Math.max(0, limit.max - count);
    const retry = remaining === 0 && oldestMs !== null ? Math.max(1, Math.ceil((oldestMs + windowMs - now) / 1000)) : null;
    return { used: count, remaining, retry_in_seconds: retry };
  }

  private leaseOf(target: string, requestId: string): TargetLease {
    let released: Promise<void> | undefined;
    return {
      release: () => {
        released ??= this.store.unlockTarget(target, requestId).catch(() => {});
        return released;
      },
    };
  }
}
