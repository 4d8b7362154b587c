import type { Kysely, Transaction } from 'kysely';
import type { Action, Incident, NewEvent, NewJob, StoredAlert } from '../agent-store.js';
import type { AgentTables } from '../schema.js';

export type Executor = Kysely<AgentTables> | Transaction<AgentTables>;
type IncidentRow = AgentTables['incidents'];
type ActionRow = AgentTables['actions'];

/** Rows per multi-row statement: well under SQLite's and PostgreSQL's bound-parameter limits. */
const CHUNK = 500;

export const chunks = <T>(items: T[], size = CHUNK): T[][] => {
  const result: T[][] = [];
  for (let index = 0; index < items.length; index += size) result.push(items.slice(index, index + size));
  return result;
};

export function toIncident({ issue_type: _issueType, runbook: _runbook, ...row }: IncidentRow): Incident {
  return {
    ...row,
    state: row.state as Incident['state'],
    flap_count: Number(row.flap_count),
    action_attempts: Number(row.action_attempts),
    analysis: row.analysis ? (JSON.parse(row.analysis) as Incident['analysis']) : null,
    coding_task: row.coding_task ? (JSON.parse(row.coding_task) as Incident['coding_task']) : null,
  };
}

export function fromIncidentPatch(patch: Partial<Incident>): Partial<IncidentRow> {
  const { analysis, coding_task, ...rest } = patch;
  const row: Partial<IncidentRow> = { ...rest };
  if (analysis !== undefined) {
    row.analysis = analysis === null ? null : JSON.stringify(analysis);
    row.issue_type = analysis?.analysis.issue_type ?? null;
    row.runbook = analysis?.runbook ?? null;
  }
  if (coding_task !== undefined) row.coding_task = coding_task === null ? null : JSON.stringify(coding_task);
  return row;
}

export function toAction(row: ActionRow): Action {
  return {
    ...row,
    status: row.status as Action['status'],
    priority: row.priority as Action['priority'],
    attempt: Number(row.attempt),
    confidence: Number(row.confidence),
    gateway_response: row.gateway_response ? (JSON.parse(row.gateway_response) as Record<string, unknown>) : null,
    effective: row.effective === null ? null : Number(row.effective) === 1,
    recovery_seconds: row.recovery_seconds === null ? null : Number(row.recovery_seconds),
  };
}

export function fromActionPatch(patch: Partial<Action>): Partial<ActionRow> {
  const { gateway_response, effective, ...rest } = patch;
  const row: Partial<ActionRow> = { ...rest };
  if (gateway_response !== undefined) row.gateway_response = gateway_response === null ? null : JSON.stringify(gateway_response);
  if (effective !== undefined) row.effective = effective === null ? null : effective ? 1 : 0;
  return row;
}

export function toAlert(row: AgentTables['alerts']): StoredAlert {
  return {
    fingerprint: row.fingerprint,
    status: row.status as StoredAlert['status'],
    starts_at: row.starts_at,
    ends_at: row.ends_at,
    labels: JSON.parse(row.labels) as Record<string, string>,
    annotations: JSON.parse(row.annotations) as Record<string, string>,
    generator_url: row.generator_url,
    alertname: row.alertname,
    service: row.service,
    severity: row.severity,
    incident_id: row.incident_id,
    received_at: row.received_at,
    updated_at: row.updated_at,
  };
}

export function fromAlert(alert: StoredAlert): AgentTables['alerts'] {
  return { ...alert, labels: JSON.stringify(alert.labels), annotations: JSON.stringify(alert.annotations) };
}

export async function writeEvents(executor: Executor, events: NewEvent[], now: string): Promise<void> {
  for (const part of chunks(events, 200)) {
    await executor
      .insertInto('incident_events')
      .values(part.map((event) => ({ incident_id: event.incident_id, at: now, type: event.type, data: JSON.stringify(event.data ?? {}) })) as never)
      .execute();
  }
}

export async function writeJobs(executor: Executor, jobs: NewJob[], now: string): Promise<void> {
  for (const job of jobs) {
    await executor
      .insertInto('jobs')
      .values({
        type: job.type,
        payload: JSON.stringify(job.payload),
        dedupe_key: job.dedupe_key ?? null,
        status: 'queued',
        run_at: job.run_at ?? now,
        attempts: 0,
        last_error: null,
        owner: null,
        lease_until: null,
        created_at: now,
        updated_at: now,
      } as never)
      .onConflict((conflict) => conflict.column('dedupe_key').doNothing())
      .execute();
  }
}
