import type { AnalysisOutcome } from '@atb/contracts';
import type { ActionStore } from './action-store.js';
import type { IncidentStore } from './incident-store.js';
import type { JobQueue } from './job-queue.js';
import type { LearningStore } from './learning-store.js';
import type { UnitOfWork } from './unit-of-work.js';

/** Incident life cycle: open → investigating → awaiting_approval → remediating → verifying → resolved | escalated | failed. */
export const INCIDENT_STATES = [
  'open',
  'investigating',
  'awaiting_approval',
  'remediating',
  'verifying',
  'resolved',
  'escalated',
  'failed',
] as const;
export type IncidentState = (typeof INCIDENT_STATES)[number];

/** States in which the agent still works on an incident (escalated and failed ones still collect alerts until resolved). */
export const ACTIVE_STATES: readonly IncidentState[] = ['open', 'investigating', 'awaiting_approval', 'remediating', 'verifying'];

export const ACTION_STATUSES = [
  'pending',
  'approved',
  'running',
  'succeeded',
  'failed',
  'rejected',
  'expired',
  'cancelled',
] as const;
export type ActionStatus = (typeof ACTION_STATUSES)[number];

/** An alert as received, normalised for intake. */
export interface IncomingAlert {
  fingerprint: string;
  status: 'firing' | 'resolved';
  starts_at: string;
  ends_at: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  generator_url: string;
}

export interface StoredAlert extends IncomingAlert {
  alertname: string;
  service: string;
  severity: string;
  incident_id: string;
  received_at: string;
  updated_at: string;
}

/**
 * A coding-task request kept on a code-level incident: `pending` until the coding agent takes
 * it, `accepted` while it runs, then the task's own final status.
 */
export interface CodingTaskRecord {
  status: 'pending' | 'accepted' | 'completed' | 'no_change_needed' | 'failed' | 'cancelled';
  repository: string;
  requirement: string;
  task_id?: string;
  task_status?: string;
  pull_request_url?: string;
  /** Why the task ended without a pull request, as the coding agent says. */
  reason?: string;
  attempts: number;
  last_error?: string;
  updated_at: string;
}

export interface Incident {
  id: string;
  group_key: string;
  alertname: string;
  service: string;
  severity: string;
  title: string;
  state: IncidentState;
  opened_at: string;
  /** When the current episode began: opened_at, or the last re-opening. */
  cycle_started_at: string;
  updated_at: string;
  resolved_at: string | null;
  last_fired_at: string;
  flap_count: number;
  action_attempts: number;
  analysis: AnalysisOutcome | null;
  /** Which analyzer produced the analysis. */
  analyzer: string | null;
  escalation_reason: string | null;
  coding_task: CodingTaskRecord | null;
}

export interface IncidentEvent {
  id: number;
  incident_id: string;
  at: string;
  /** noun-verb: `incident-opened`, `analysis-completed`, `action-approved`, … */
  type: string;
  data: Record<string, unknown>;
}

export interface Action {
  id: string;
  incident_id: string;
  /** A gateway operation (`restart`, `inspect`, `stats`, …). */
  operation: string;
  target: string;
  attempt: number;
  /** Derived from incident + operation + attempt: the gateway executes it at most once. */
  idempotency_key: string;
  status: ActionStatus;
  risk: string;
  confidence: number;
  intent: string;
  priority: 'LOW' | 'MEDIUM' | 'HIGH';
  /** `policy` (ran on its own) or `human`. */
  decided_by: string;
  decision_reason: string;
  created_at: string;
  expires_at: string | null;
  approved_by: string | null;
  approval_reason: string | null;
  started_at: string | null;
  finished_at: string | null;
  gateway_response: Record<string, unknown> | null;
  /** null until verified (and for read-only diagnostics). */
  effective: boolean | null;
  verified_at: string | null;
  recovery_seconds: number | null;
  alertname: string;
  service: string;
}

export interface Job {
  id: number;
  type: string;
  payload: Record<string, unknown>;
  attempts: number;
  run_at: string;
}

export interface NewJob {
  type: string;
  payload: Record<string, unknown>;
  /** ISO time; default now. */
  run_at?: string;
  /** A job with a key already used is not enqueued again. */
  dedupe_key?: string;
}

export interface NewEvent {
  incident_id: string;
  type: string;
  data?: Record<string, unknown>;
}

/** Where a page of a newest-first list ends: the last row's time and id (the next page starts below it). */
export interface PageKey {
  at: string;
  id: string;
}

export interface IncidentFilter {
  state?: IncidentState;
  service?: string;
  alertname?: string;
  /** The analysis' issue type (`service_down`, `memory_leak`, …); an incident not analysed yet has none. */
  issue_type?: string;
  /** true: only the active states (`ACTIVE_STATES`); false: only the ended ones (resolved, escalated, failed). */
  active?: boolean;
  /** Opened at or after (ISO). */
  since?: string;
  /** Opened before (ISO). */
  until?: string;
  /** Only rows after this key in the newest-first order (keyset paging). */
  before?: PageKey;
  limit?: number;
  offset?: number;
}

export interface ActionFilter {
  status?: ActionStatus;
  incident_id?: string;
  target?: string;
  service?: string;
  operation?: string;
  /** Proposed at or after (ISO). */
  since?: string;
  /** Proposed before (ISO). */
  until?: string;
  /** Only rows after this key in the newest-first order (keyset paging; not with `incident_id`). */
  before?: PageKey;
  limit?: number;
}

/** Learning statistics per (alertname, service, action), computed by learning/learning-stats.ts. */
export interface LearningStat {
  alertname: string;
  service: string;
  action: string;
  attempts: number;
  successes: number;
  effective_rate: number;
  mean_time_to_recovery_s: number | null;
}

export interface SimilarIncident {
  incident_id: string;
  issue_type?: string;
  action?: string;
  effective?: boolean;
  resolved_at?: string;
}

/**
 * The agent's storage, one narrow port per aggregate, all in one database so that a domain
 * decision and the rows it implies (and its job, and its audit record) commit together.
 */
export interface AgentStore {
  incidents: IncidentStore;
  actions: ActionStore;
  jobs: JobQueue;
  learning: LearningStore;
  changes: UnitOfWork;
  close(): Promise<void>;
}
