import type { Action, ActionFilter } from './agent-store.js';

/** How often one operation was verified effective under one runbook. */
export interface RunbookEffectiveness {
  runbook: string | null;
  operation: string;
  verified: number;
  effective: number;
}

/** Reads of the action aggregate: proposed, approved, run and verified actions. */
export interface ActionStore {
  get(id: string): Promise<Action | undefined>;
  list(filter?: ActionFilter): Promise<Action[]>;
  countByStatus(): Promise<Record<string, number>>;
  /** Actions (on `target`, when given) that started since `since`: cooldown and rate limits. */
  startedSince(since: string, target?: string): Promise<Action[]>;
  /** Failed or ineffective actions on `target` finished since `since`: the circuit breaker. */
  failuresSince(target: string, since: string): Promise<number>;
  /** Verified recoveries since `since` (ISO), oldest first (at most 50,000): the time-to-recovery chart. */
  recoveries(since: string): Promise<{ service: string; verified_at: string; recovery_seconds: number }[]>;
  /** Verified actions since `since` counted per runbook of their incident's analysis (null: none) and operation: the effectiveness chart. */
  effectivenessByRunbook(since: string): Promise<RunbookEffectiveness[]>;
  /** Targets with at least `threshold` failed or ineffective actions finished since `since`. */
  targetsWithFailures(since: string, threshold: number): Promise<string[]>;
}
