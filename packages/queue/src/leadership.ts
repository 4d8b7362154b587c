/** The lease a leader holds on one key (a service to probe, a schedule to run). */
export interface LeaderLease {
  key: string;
  owner: string;
  /**
   * The fencing token: it grows every time the lease changes hands, never when its holder renews
   * it. A write that carries it can be refused once a later token has been seen.
   */
  token: number;
}

/**
 * Leader election per key across replicas: at most one owner holds a key's lease at a time. The
 * holder keeps it by acquiring again well within `leaseMs` (every third); a holder that stops
 * (it died, hung or lost the network) loses it when the lease runs out, and the next replica to
 * ask gets it with a higher token.
 *
 * Implementations: `SqlLeadership` (a lease table on SQLite or PostgreSQL; on SQLite, one file
 * for one process, its only replica always leads) and `RedisLeadership`. One contract suite.
 */
export interface Leadership {
  /** How long a lease lasts without renewal, in ms. */
  readonly leaseMs: number;
  /** Takes or renews `key` for `owner`: the lease when `owner` leads now, undefined when another does. */
  acquire(key: string, owner: string): Promise<LeaderLease | undefined>;
  /** Gives `key` up before its lease ends (an orderly shutdown); nothing when `owner` does not hold it. */
  release(key: string, owner: string): Promise<void>;
  /** The live lease on `key`, if any. */
  leader(key: string): Promise<LeaderLease | undefined>;
  close(): Promise<void>;
}

export const DEFAULT_LEADER_LEASE_MS = 15_000;

/**
 * One replica's view of its leaderships: it renews every key it was asked about every third of
 * the lease and answers `leads(key)` from the last answer, counting a lease as lost from the
 * moment it was requested plus `leaseMs` (so a renewal that hangs never lets two replicas lead).
 *
 * @example
 * const gate = new LeaderGate(leadership, 'agent-1');
 * if (await gate.leads('service:market-predictor')) await probe();
 */
export class LeaderGate {
  private readonly held = new Map<string, { validUntil: number; token: number }>();
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private stopped = false;

  constructor(
    private readonly leadership: Leadership,
    readonly owner: string,
  ) {}

  /** Whether this replica leads `key` now; the first call for a key asks at once and keeps renewing it. */
  async leads(key: string): Promise<boolean> {
    if (!this.timers.has(key) && !this.stopped) {
      const timer = setInterval(() => {
        void this.renew(key);
      }, this.leadership.leaseMs / 3);
      timer.unref?.();
      this.timers.set(key, timer);
      await this.renew(key);
    }
    const lease = this.held.get(key);
    return lease !== undefined && Date.now() < lease.validUntil;
  }

  /** The fencing token of the lease this replica holds on `key`, if it leads. */
  token(key: string): number | undefined {
    const lease = this.held.get(key);
    return lease && Date.now() < lease.validUntil ? lease.token : undefined;
  }

  private async renew(key: string): Promise<void> {
    const asked = Date.now();
    try {
      const lease = await this.leadership.acquire(key, this.owner);
      if (lease) this.held.set(key, { validUntil: asked + this.leadership.leaseMs, token: lease.token });
      else this.held.delete(key);
    } catch {
      // Unreachable store: the lease we have runs out by itself at validUntil.
    }
  }

  /** Stops renewing and gives every held key up, so a survivor takes over at once. */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const timer of this.timers.values()) clearInterval(timer);
    this.timers.clear();
    const keys = [...this.held.keys()];
    this.held.clear();
    await Promise.allSettled(keys.map((key) => this.leadership.release(key, this.owner)));
  }
}
