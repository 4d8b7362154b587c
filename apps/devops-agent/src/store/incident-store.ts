import type { Incident, IncidentEvent, IncidentFilter, StoredAlert } from './agent-store.js';

/** When an incident opened, on which service, and the issue type its analysis found (null before analysis). */
export interface IncidentOpening {
  opened_at: string;
  service: string;
  issue_type: string | null;
}

/** Reads of the incident aggregate: incidents, their alerts and their timelines. */
export interface IncidentStore {
  get(id: string): Promise<Incident | undefined>;
  list(filter?: IncidentFilter): Promise<Incident[]>;
  countByState(): Promise<Record<string, number>>;
  /** Per service with any: how many incidents are active (the agent still works on them) and how many of those are critical. */
  activeCounts(): Promise<Record<string, { open: number; critical: number }>>;
  /** The incident's alerts in the order received (at most 1,000). */
  alerts(incidentId: string): Promise<StoredAlert[]>;
  /** The incident's timeline, oldest first (at most 1,000). */
  events(incidentId: string): Promise<IncidentEvent[]>;
  /** Every incident's timeline entries with an id above `afterId`, oldest first (at most `limit`, ≤ 1,000). */
  eventsAfter(afterId: number, limit?: number): Promise<IncidentEvent[]>;
  /** Incidents opened since `since` (ISO), oldest first, at most `limit` (≤ 50,000): the charts. */
  openedSince(since: string, limit?: number): Promise<IncidentOpening[]>;
  /** Alerts received per UTC day since `since` (ISO), oldest day first. */
  alertsPerDay(since: string): Promise<{ day: string; count: number }[]>;
  /** The id of the newest timeline entry (0 when there is none). */
  latestEventId(): Promise<number>;
  /** Firing alerts with these fingerprints (polling mode restores its state from them). */
  firingAlerts(fingerprints: string[]): Promise<StoredAlert[]>;
}
