import { CircuitOpenError } from './errors.js';

export type CircuitState = 'closed' | 'open' | 'half-open';

/** Settings of a {@link CircuitBreaker}. */
export interface CircuitBreakerOptions {
  /** Consecutive failures that open the circuit. */
  failureThreshold: number;
  /** How long an open circuit rests before one trial call is let through (half-open). */
  cooldownMs: number;
  /** Clock (tests pass their own). */
  now?: () => number;
}

/**
 * A per-provider circuit breaker: closed → (N consecutive failures) → open → (cool-down) →
 * half-open, where one trial call decides: success closes it, failure opens it again.
 * While it is open, callers answer with the rule analyzer instead of waiting on a provider
 * that keeps failing.
 */
export class CircuitBreaker {
  private failures = 0;
  private openedAt: number | undefined;
  private trialInFlight = false;
  private readonly now: () => number;

  constructor(
    readonly name: string,
    private readonly options: CircuitBreakerOptions,
  ) {
    this.now = options.now ?? Date.now;
  }

  get state(): CircuitState {
    if (this.openedAt === undefined) return 'closed';
    return this.now() - this.openedAt >= this.options.cooldownMs ? 'half-open' : 'open';
  }

  /** Consecutive failures counted so far. */
  get consecutiveFailures(): number {
    return this.failures;
  }

  /** Throws {@link CircuitOpenError} unless a call may go through now. */
  acquire(): void {
    const state = this.state;
    if (state === 'closed') return;
    if (state === 'half-open' && !this.trialInFlight) {
      this.trialInFlight = true;
      return;
    }
    throw new CircuitOpenError(this.name, (this.openedAt ?? this.now()) + this.options.cooldownMs);
  }

  /** Gives back a trial slot without a verdict (the caller aborted the call). */
  release(): void {
    this.trialInFlight = false;
  }

  recordSuccess(): void {
    this.failures = 0;
    this.openedAt = undefined;
    this.trialInFlight = false;
  }

  recordFailure(): void {
    this.failures += 1;
    if (this.trialInFlight || this.failures >= this.options.failureThreshold) this.openedAt = this.now();
    this.trialInFlight = false;
  }
}
