import { isStaleFailure } from '../incidents/container-failure.js';
import { attachDecision, reopenPatch, reopenSince } from '../incidents/episode-policy.js';
import { describeAlert, groupAlerts, groupKeyOf, openIncident } from '../incidents/grouping.js';
import type { Incident, IncomingAlert, NewEvent, NewJob, StoredAlert } from '../store/agent-store.js';
import type { IntakeTransaction, UnitOfWork } from '../store/unit-of-work.js';

export interface IngestOptions {
  /** Labels forming the grouping key. */
  groupBy: string[];
  /** A group firing again within this many seconds of its incident's resolution re-opens it (0: never). */
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
  /** Failures older than their service's last recovery: recorded on the recovered incident, not acted on. */
  stale: number;
  opened: string[];
  reopened: string[];
  touched: string[];
  /** Jobs this intake enqueued (analysis, reconciliation). */
  queued: number;
}

/** What one notification's intake writes besides alerts and incidents. */
interface Effects {
  events: NewEvent[];
  jobs: NewJob[];
  touched: Set<string>;
}

const emptyResult = (alerts: IncomingAlert[]): IngestResult => ({ received: alerts.length, created: 0, resolved: 0, unchanged: 0, ignored: 0, stale: 0, opened: [], reopened: [], touched: [], queued: 0 });

const alertKey = (alert: { fingerprint: string; starts_at: string }) => `${alert.fingerprint}\u0000${alert.starts_at}`;

/**
 * Intake of several notifications in one transaction (group commit), one result each, in order.
 * An alert is identified by (fingerprint, startsAt): a known alert firing again changes nothing,
 * a resolution of a firing one resolves it, a resolution of an unknown one is ignored. New
 * firing alerts join their group's unresolved incident, re-open its recently resolved one, or
 * open one; each opened or re-opened incident gets its analysis job in the same transaction.
 */
export async function ingestBatches(unitOfWork: Pick<UnitOfWork, 'intake'>, batches: IncomingAlert[][], options: IngestOptions): Promise<IngestResult[]> {
  if (batches.every((alerts) => alerts.length === 0)) return batches.map(emptyResult);
  return unitOfWork.intake(async (transaction) => {
    const results: IngestResult[] = [];
    for (const alerts of batches) results.push(alerts.length === 0 ? emptyResult(alerts) : await ingestNotification(transaction, alerts, options));
    return results;
  });
}

/** One notification's intake in its own transaction. */
export async function ingestAlerts(unitOfWork: Pick<UnitOfWork, 'intake'>, alerts: IncomingAlert[], options: IngestOptions): Promise<IngestResult> {
  const [result] = await ingestBatches(unitOfWork, [alerts], options);
  return result!;
}

/** Within one payload the last word on an alert wins, a resolution over a firing. */
function lastWordPerAlert(alerts: IncomingAlert[]): Map<string, IncomingAlert> {
  const unique = new Map<string, IncomingAlert>();
  for (const alert of alerts) {
    const key = alertKey(alert);
    if (unique.get(key)?.status === 'resolved' && alert.status === 'firing') continue;
    unique.set(key, alert);
  }
  return unique;
}

async function ingestNotification(transaction: IntakeTransaction, alerts: IncomingAlert[], options: IngestOptions): Promise<IngestResult> {
  const result = emptyResult(alerts);
  const unique = lastWordPerAlert(alerts);
  result.unchanged += alerts.length - unique.size;
  const now = new Date().toISOString();
  const known = new Map<string, { status: string; incident_id: string }>();
  for (const row of await transaction.knownAlerts([...new Set([...unique.values()].map((alert) => alert.fingerprint))])) known.set(alertKey(row), row);
  const fresh: IncomingAlert[] = [];
  const resolving: { alert: IncomingAlert; incident_id: string }[] = [];
  for (const [key, alert] of unique) {
    const stored = known.get(key);
    if (stored) {
      if (stored.status === 'firing' && alert.status === 'resolved') resolving.push({ alert, incident_id: stored.incident_id });
      else result.unchanged += 1;
    } else if (alert.status === 'resolved') result.ignored += 1;
    else fresh.push(alert);
  }
  const effects: Effects = { events: [], jobs: [], touched: new Set() };
  if (fresh.length > 0) await attachFiring(transaction, fresh, options, now, effects, result);
  await applyResolutions(transaction, resolving, now, effects);
  result.resolved = resolving.length;
  await transaction.writeEvents(effects.events, now);
  await transaction.writeJobs(effects.jobs, now);
  result.touched = [...effects.touched];
  result.queued = effects.jobs.length;
  return result;
}

/**
 * A group without an unresolved incident: its failures older than the group's last recovery are
 * stale (see `isStaleFailure`) — stored resolved under the recovered incident, with a timeline
 * entry and no job. Answers the members left to act on.
 */
async function setAsideStale(transaction: IntakeTransaction, key: string, members: IncomingAlert[], now: string, effects: Effects, stored: StoredAlert[]): Promise<IncomingAlert[]> {
  // Only what happened before now can be stale: the store is asked only then.
  if (!members.some((alert) => isStaleFailure(alert, now))) return members;
  const recovered = await transaction.latestResolved(key);
  const stale = members.filter((alert) => isStaleFailure(alert, recovered?.resolved_at));
  if (!recovered || stale.length === 0) return members;
  for (const alert of stale) stored.push({ ...storedAlert(alert, recovered.id, now), status: 'resolved', ends_at: recovered.resolved_at });
  const fingerprints = stale.slice(0, 20).map((alert) => alert.fingerprint);
  const failedAt = stale.map((alert) => alert.starts_at).sort();
  effects.events.push({ incident_id: recovered.id, type: 'stale-failure-recorded', data: { count: stale.length, fingerprints, failed_at: failedAt.slice(0, 20), recovered_at: recovered.resolved_at } });
  effects.touched.add(recovered.id);
  return members.filter((alert) => !stale.includes(alert));
}

/** New firing alerts: find, re-open or open each group's incident, then store the alerts under it. */
async function attachFiring(transaction: IntakeTransaction, fresh: IncomingAlert[], options: IngestOptions, now: string, effects: Effects, result: IngestResult): Promise<void> {
  const nowMs = Date.parse(now);
  const groups = groupAlerts(fresh, options.groupBy);
  const staleStored: StoredAlert[] = [];
  const unresolved = new Map<string, { id: string; last_fired_at: string }>();
  // Every unresolved incident collects its group's alerts, escalated and failed ones too: an
  // alert storm on an escalated problem must not open an incident per notification.
  for (const row of await transaction.unresolvedIncidents([...groups.keys()])) unresolved.set(row.group_key, row);
  const incidentOf = new Map<string, string>();
  const opened: Incident[] = [];
  const touchedByStorm: string[] = [];
  const since = reopenSince(options.reopenWindowSeconds, nowMs);
  for (const [key, all] of groups) {
    const open = unresolved.get(key);
    const members = open ? all : await setAsideStale(transaction, key, all, now, effects, staleStored);
    if (members.length === 0) continue;
    const fingerprints = members.slice(0, 20).map((alert) => alert.fingerprint);
    if (open) {
      incidentOf.set(key, open.id);
      effects.touched.add(open.id);
      const decision = attachDecision(open.last_fired_at, nowMs);
      if (decision.touch) touchedByStorm.push(open.id);
      if (decision.event) effects.events.push({ incident_id: open.id, type: 'alerts-attached', data: { count: members.length, fingerprints } });
      continue;
    }
    const recent = since === undefined ? undefined : await transaction.latestResolved(key, since);
    if (recent) {
      const patch = reopenPatch(recent.flap_count, now);
      await transaction.updateIncidents([recent.id], patch);
      incidentOf.set(key, recent.id);
      effects.events.push({ incident_id: recent.id, type: 'incident-reopened', data: { flap_count: patch.flap_count, fingerprints } });
      effects.jobs.push({ type: 'analyze', payload: { incident_id: recent.id }, dedupe_key: `analyze:${recent.id}:${patch.flap_count}` });
      result.reopened.push(recent.id);
      effects.touched.add(recent.id);
      continue;
    }
    const incident = openIncident(key, members[0]!, now);
    opened.push(incident);
    incidentOf.set(key, incident.id);
    const { alertname, service, severity } = incident;
    effects.events.push({ incident_id: incident.id, type: 'incident-opened', data: { alertname, service, severity, count: members.length, fingerprints } });
    effects.jobs.push({ type: 'analyze', payload: { incident_id: incident.id }, dedupe_key: `analyze:${incident.id}:0` });
    result.opened.push(incident.id);
    effects.touched.add(incident.id);
  }
  await transaction.insertIncidents(opened);
  if (touchedByStorm.length > 0) await transaction.updateIncidents(touchedByStorm, { last_fired_at: now, updated_at: now });
  const acted = fresh.filter((alert) => !staleStored.some((stale) => stale.fingerprint === alert.fingerprint && stale.starts_at === alert.starts_at));
  await transaction.insertAlerts([...acted.map((alert) => storedAlert(alert, incidentOf.get(groupKeyOf(alert.labels, options.groupBy))!, now)), ...staleStored]);
  result.created = acted.length;
  result.stale = staleStored.length;
}

function storedAlert(alert: IncomingAlert, incidentId: string, now: string): StoredAlert {
  return { ...alert, ...describeAlert(alert.labels), incident_id: incidentId, received_at: now, updated_at: now };
}

/** Resolutions: resolve the alert; an incident with no firing alert left is reconciled. */
async function applyResolutions(transaction: IntakeTransaction, resolving: { alert: IncomingAlert; incident_id: string }[], now: string, effects: Effects): Promise<void> {
  const resolvedBy = new Map<string, string[]>();
  for (const { alert, incident_id } of resolving) {
    await transaction.resolveAlert(alert, now);
    const list = resolvedBy.get(incident_id);
    if (list) list.push(alert.fingerprint);
    else resolvedBy.set(incident_id, [alert.fingerprint]);
  }
  for (const [incidentId, fingerprints] of resolvedBy) {
    const stillFiring = await transaction.firingCount(incidentId);
    effects.events.push({ incident_id: incidentId, type: 'alerts-resolved', data: { count: fingerprints.length, still_firing: stillFiring, fingerprints: fingerprints.slice(0, 20) } });
    if (stillFiring === 0) effects.jobs.push({ type: 'reconcile', payload: { incident_id: incidentId } });
    effects.touched.add(incidentId);
  }
}
