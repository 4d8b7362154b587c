import type { SimilarIncident } from './agent-store.js';

/** Verified outcomes of one action for one (alertname, service): sums only, no statistics. */
export interface OutcomeTotals {
  alertname: string;
  service: string;
  action: string;
  /** Verified attempts (effective or not). */
  verified: number;
  effective: number;
  /** Sum and count of the recorded recovery times. */
  recovery_seconds_sum: number;
  recoveries: number;
}

/** What the agent learns from: verified outcomes and the history of similar incidents. */
export interface LearningStore {
  outcomeTotals(filter?: { alertname?: string; service?: string }): Promise<OutcomeTotals[]>;
  /** The latest incidents with the same alert on the same service, except `excludeId`, with their last action. */
  similarIncidents(alertname: string, service: string, excludeId: string, limit: number): Promise<SimilarIncident[]>;
}
