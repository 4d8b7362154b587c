import type { AnalysisOutcome } from '@atb/contracts';

/** Incident life cycle (issue 4): open → investigating → awaiting_approval → remediating → verifying → resolved | escalated | failed. */
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

export interface IngestOptions {
  /** Labels forming the grouping key. */
  groupBy: string[];
  reopenWindowSeconds: number;
}

/** What one intake did; re-delivering the same notification changes nothing and says so. */
export interface IngestResult {
  received: number;
  created: number;
  resolved: number;
  unchanged: number;
  /** Resolved notifications for alerts never seen firing. */
  ignored: number;
  opened: string[];
  reopened: string[];
  touched: string[];
  /** Jobs this intake enqueued (analysis, reconciliation). */
  queued: number;
}

export interface ActionUpdate {
  id: string;
  patch: Partial<Omit<Action, 'id'>>;
  expectStatuses?: readonly ActionStatus[];
}

/** One atomic unit of work: every part commits together or not at all. */
export interface ChangeSet {
  incident?: { id: string; patch: Partial<Omit<Incident, 'id'>>; expectStates?: readonly IncidentState[] };
  createAction?: Action;
  updateAction?: ActionUpdate;
  /** More action updates in the same unit (each with its own expectation). */
  updateActions?: ActionUpdate[];
  events?: NewEvent[];
  jobs?: NewJob[];
  completeJob?: number;
}

export interface IncidentFilter {
  state?: IncidentState;
  service?: string;
  alertname?: string;
  active?: boolean;
  limit?: number;
  offset?: number;
}

export interface ActionFilter {
  status?: ActionStatus;
  incident_id?: string;
  target?: string;
  limit?: number;
}

/** Learning statistics per (alertname, service, action). */
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
 * The agent's storage: alerts, incidents with their timelines, actions, learning and the
 * durable job queue, all in one database so that intake and its job commit together.
 */
export interface AgentStore {
  /** Upserts alerts by (fingerprint, startsAt), groups them into incidents and enqueues analysis, in one transaction. */
  ingest(alerts: IncomingAlert[], options: IngestOptions): Promise<IngestResult>;
  /** Several notifications' intake in one transaction (group commit), one result each, in order. */
  ingestMany(batches: IncomingAlert[][], options: IngestOptions): Promise<IngestResult[]>;
  /** Applies a change set atomically. False (and nothing written) when an expectation fails. */
  commit(changes: ChangeSet): Promise<boolean>;

  getIncident(id: string): Promise<Incident | undefined>;
  listIncidents(filter?: IncidentFilter): Promise<Incident[]>;
  countIncidentsByState(): Promise<Record<string, number>>;
  incidentAlerts(incidentId: string): Promise<StoredAlert[]>;
  incidentEvents(incidentId: string): Promise<IncidentEvent[]>;
  /** Firing alerts with these fingerprints (polling mode restores its state from them). */
  firingAlerts(fingerprints: string[]): Promise<StoredAlert[]>;
  similarIncidents(alertname: string, service: string, excludeId: string, limit: number): Promise<SimilarIncident[]>;

  getAction(id: string): Promise<Action | undefined>;
  listActions(filter?: ActionFilter): Promise<Action[]>;
  countActionsByStatus(): Promise<Record<string, number>>;
  /** Actions on `target` that started since `since` (cooldown and rate limits). */
  actionsStartedSince(since: string, target?: string): Promise<Action[]>;
  /** Failed or ineffective actions on `target` finished since `since` (circuit breaker). */
  failuresSince(target: string, since: string): Promise<number>;
  /** Targets with at least `threshold` failures since `since`. */
  targetsWithFailures(since: string, threshold: number): Promise<string[]>;
  learningStats(filter?: { alertname?: string; service?: string }): Promise<LearningStat[]>;

  enqueue(jobs: NewJob[]): Promise<void>;
  /** Marks up to `limit` due jobs running and returns them. */
  claimJobs(now: string, limit: number): Promise<Job[]>;
  finishJob(id: number): Promise<void>;
  retryJob(id: number, runAt: string, error: string): Promise<void>;
  failJob(id: number, error: string): Promise<void>;
  /** After a crash: jobs left running go back to the queue. Returns how many. */
  requeueRunningJobs(): Promise<number>;
  countJobsByStatus(): Promise<Record<string, number>>;

  close(): Promise<void>;
}
