/** One model call, as recorded for budgets, `GET /llm/usage` and metrics. */
export interface UsageRecord {
  /** ISO time the call finished. */
  at: string;
  incident_id?: string;
  /** What the call was for: `investigation`, `repair`, `command-plan`, `coding`… */
  purpose: string;
  provider: string;
  model: string;
  prompt_tokens: number;
  completion_tokens: number;
  estimated_cost_usd: number;
  duration_ms: number;
  outcome: 'ok' | 'error';
  error?: string;
}

/** Sums over a set of usage records. */
export interface UsageTotals {
  calls: number;
  errors: number;
  prompt_tokens: number;
  completion_tokens: number;
  estimated_cost_usd: number;
}

/**
 * Where usage records live. The in-memory store below is the default; the devops agent can
 * persist records (SQLite/PostgreSQL) by implementing these three methods so that the daily
 * budget survives a restart.
 */
export interface UsageStore {
  append(record: UsageRecord): Promise<void>;
  /** Records with `at` ≥ `since`, optionally for one incident, oldest first. */
  list(filter: { since?: Date; incident_id?: string; limit?: number }): Promise<UsageRecord[]>;
}

/** Adds records up. */
export function totalsOf(records: UsageRecord[]): UsageTotals {
  const totals: UsageTotals = { calls: 0, errors: 0, prompt_tokens: 0, completion_tokens: 0, estimated_cost_usd: 0 };
  for (const record of records) {
    totals.calls += 1;
    if (record.outcome === 'error') totals.errors += 1;
    totals.prompt_tokens += record.prompt_tokens;
    totals.completion_tokens += record.completion_tokens;
    totals.estimated_cost_usd += record.estimated_cost_usd;
  }
  totals.estimated_cost_usd = Math.round(totals.estimated_cost_usd * 1e6) / 1e6;
  return totals;
}

/** Start of the current UTC day. */
export function startOfUtcDay(now = new Date()): Date {
  return new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate()));
}

/** Keeps records in memory (bounded: the oldest are dropped past `capacity`). */
export class InMemoryUsageStore implements UsageStore {
  private readonly records: UsageRecord[] = [];

  constructor(private readonly capacity = 50_000) {}

  async append(record: UsageRecord): Promise<void> {
    this.records.push(record);
    if (this.records.length > this.capacity) this.records.splice(0, this.records.length - this.capacity);
  }

  async list(filter: { since?: Date; incident_id?: string; limit?: number }): Promise<UsageRecord[]> {
    const since = filter.since?.toISOString();
    const matching = this.records.filter(
      (record) =>
        (since === undefined || record.at >= since) &&
        (filter.incident_id === undefined || record.incident_id === filter.incident_id),
    );
    return filter.limit === undefined ? matching : matching.slice(-filter.limit);
  }
}
