import type { AuditEntry } from '@atb/storage';
import type { Action, ActionStatus, Incident, IncidentState, NewEvent, NewJob, StoredAlert } from './agent-store.js';

export interface ActionUpdate {
  id: string;
  patch: Partial<Omit<Action, 'id'>>;
  expectStatuses?: readonly ActionStatus[];
  /** Only while the action is not verified yet (`effective` is null): a verification commits at most once. */
  expectUnverified?: boolean;
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
  /** Audit records appended in the same transaction: the change and its record exist together or not at all. */
  audit?: AuditEntry[];
}

/** An alert already stored under (fingerprint, starts_at). */
export interface KnownAlert {
  fingerprint: string;
  starts_at: string;
  status: string;
  incident_id: string;
}

/** An unresolved incident of a group, as intake needs it. */
export interface UnresolvedIncident {
  id: string;
  group_key: string;
  last_fired_at: string;
}

/**
 * Reads and writes of one intake transaction. Intake decides from what it reads here; nothing
 * is visible to others until the transaction commits, and everything rolls back together.
 */
export interface IntakeTransaction {
  knownAlerts(fingerprints: string[]): Promise<KnownAlert[]>;
  /** Unresolved incidents (escalated and failed ones too) of these groups, oldest first. */
  unresolvedIncidents(groupKeys: string[]): Promise<UnresolvedIncident[]>;
  /** The group's incident resolved most recently (if that was at `since` or later, when given). */
  latestResolved(groupKey: string, since?: string): Promise<{ id: string; flap_count: number; resolved_at: string } | undefined>;
  /** How many of the incident's alerts still fire. */
  firingCount(incidentId: string): Promise<number>;
  insertIncidents(incidents: Incident[]): Promise<void>;
  updateIncidents(ids: string[], patch: Partial<Omit<Incident, 'id'>>): Promise<void>;
  insertAlerts(alerts: StoredAlert[]): Promise<void>;
  resolveAlert(alert: { fingerprint: string; starts_at: string; ends_at: string }, now: string): Promise<void>;
  writeEvents(events: NewEvent[], now: string): Promise<void>;
  writeJobs(jobs: NewJob[], now: string): Promise<void>;
}

/** The atomic writes of the agent: a change set, or an intake transaction. */
export interface UnitOfWork {
  /** Applies a change set atomically. False (and nothing written) when an expectation fails. */
  commit(changes: ChangeSet): Promise<boolean>;
  /** Runs `work` in one transaction: it commits when `work` returns and rolls back when it throws. */
  intake<T>(work: (transaction: IntakeTransaction) => Promise<T>): Promise<T>;
}
