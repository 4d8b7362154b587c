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
  /**
   * Takes or renews each of `keys` for `owner` in one round trip: the leases `owner` holds now,
   * one per key it leads (a key another owner holds is left out, never renewed).
   */
  acquire(keys: readonly string[], owner: string): Promise<LeaderLease[]>;
  /** Gives `key` up before its lease ends (an orderly shutdown); nothing when `owner` does not hold it. */
  release(key: string, owner: string): Promise<void>;
  /** The live lease on `key`, if any. */
  leader(key: string): Promise<LeaderLease | undefined>;
  close(): Promise<void>;
}

export const DEFAULT_LEADER_LEASE_MS = 15_000;

/**
 * One replica's view of its leaderships: every third of the lease it renews, in one call, every
 * key it was asked about (taking those that became free), and answers `leads(key)` from the last
 * answer, counting a lease as lost from the moment it was requested plus `leaseMs` (so a renewal
 * that hangs never lets two replicas lead). Keys first asked about in the same tick share a call.
 *
 * @example
 * const gate = new LeaderGate(leadership, 'agent-1');
 * if (await gate.leads('service:market-predictor')) await probe();
 */
export class LeaderGate {
  private readonly held = new Map<string, { validUntil: number; token: number }>();
  private readonly known = new Set<string>();
  private pending: { keys: string[]; done: Promise<void> } | undefined;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(
    private readonly leadership: Leadership,
    readonly owner: string,
  ) {}

  /** Whether this replica leads `key` now; the first call for a key asks at once and keeps renewing it. */
  async leads(key: string): Promise<boolean> {
    if (!this.known.has(key) && !this.stopped) {
      this.known.add(key);
      this.startTimer();
      await this.askSoon(key);
    }
    const lease = this.held.get(key);
    return lease !== undefined && Date.now() < lease.validUntil;
  }

  /** The fencing token of the lease this replica holds on `key`, if it leads. */
  token(key: string): number | undefined {
    const lease = this.held.get(key);
    return lease && Date.now() < lease.validUntil ? lease.token : undefined;
  }

  private startTimer(): void {
    if (this.timer) return;
    this.timer = setInterval(() => {
      void this.renew([...this.known]);
    }, this.leadership.leaseMs / 3);
    this.timer.unref?.();
  }

  /** Collects the keys first asked about in this tick into one call. */
  private askSoon(key: string): Promise<void> {
    if (this.pending) {
      this.pending.keys.push(key);
      return this.pending.done;
    }
    const keys = [key];
    const done = new Promise<void>((resolve) => setImmediate(resolve)).then(() => {
      this.pending = undefined;
      return this.renew(keys);
    });
    this.pending = { keys, done };
    return done;
  }

  private async renew(keys: string[]): Promise<void> {
    if (keys.length === 0) return;
    const asked = Date.now();
    try {
      const leases = new Map((await this.leadership.acquire(keys, this.owner)).map((lease) => [lease.key, lease.token]));
      if (this.stopped) return;
      for (const key of keys) {
        const token = leases.get(key);
        if (token === undefined) this.held.delete(key);
        else this.held.set(key, { validUntil: asked + this.leadership.leaseMs, token });
      }
    } catch {
      // Unreachable store: the leases we have run out by themselves at validUntil.
    }
  }

  /** Stops renewing and gives every held key up, so a survivor takes over at once. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    this.timer = undefined;
    const keys = [...this.held.keys()];
    this.held.clear();
    this.known.clear();
    await Promise.allSettled(keys.map((key) => this.leadership.release(key, this.owner)));
  }
}
