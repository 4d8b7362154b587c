import { createHash, randomUUID } from 'node:crypto';
import { type Database, migrate } from '@atb/storage';
import type { Kysely, Transaction } from 'kysely';
import {
  ACTIVE_STATES,
  type Action,
  type ActionFilter,
  type AgentStore,
  type ChangeSet,
  type IncomingAlert,
  type Incident,
  type IncidentEvent,
  type IncidentFilter,
  type IngestOptions,
  type IngestResult,
  type Job,
  type LearningStat,
  type NewEvent,
  type NewJob,
  type SimilarIncident,
  type StoredAlert,
} from './agent-store.js';
import { type AgentTables, agentMigrations } from './schema.js';

type Executor = Kysely<AgentTables> | Transaction<AgentTables>;
type IncidentRow = AgentTables['incidents'];
type ActionRow = AgentTables['actions'];

/** Rows per multi-row statement: well under SQLite's and PostgreSQL's bound-parameter limits. */
const CHUNK = 500;
/** How stale an incident's `last_fired_at` may get while its alerts keep arriving. */
const LAST_FIRED_RESOLUTION_MS = 2_000;
/** At most one `alerts-attached` timeline event per incident in this interval. */
const ATTACH_EVENT_INTERVAL_MS = 60_000;

/** Longest label value kept in an indexed or summary column. */
const SHORT = 200;

const chunks = <T>(items: T[], size = CHUNK): T[][] => {
  const result: T[][] = [];
  for (let index = 0; index < items.length; index += size) result.push(items.slice(index, index + size));
  return result;
};

const short = (value: string): string => (value.length > SHORT ? `${value.slice(0, SHORT - 1)}…` : value);

/** The alert's name, service and severity, from its labels. */
export function describeAlert(labels: Record<string, string>) {
  return {
    alertname: short(labels.alertname ?? 'unknown'),
    service: short(labels.service ?? labels.job ?? labels.container ?? labels.instance ?? 'unknown'),
    severity: short(labels.severity ?? 'warning'),
  };
}

/** A stable, bounded grouping key from the configured labels. */
export function groupKeyOf(labels: Record<string, string>, groupBy: string[]): string {
  const values = groupBy.map((label) => labels[label] ?? '');
  return createHash('sha256').update(JSON.stringify([groupBy, values])).digest('hex').slice(0, 40);
}

const newId = (prefix: string) => `${prefix}_${randomUUID().replace(/-/g, '').slice(0, 20)}`;

function toIncident(row: IncidentRow): Incident {
  return {
    ...row,
    state: row.state as Incident['state'],
    flap_count: Number(row.flap_count),
    action_attempts: Number(row.action_attempts),
    analysis: row.analysis ? (JSON.parse(row.analysis) as Incident['analysis']) : null,
    coding_task: row.coding_task ? (JSON.parse(row.coding_task) as Incident['coding_task']) : null,
  };
}

function fromIncidentPatch(patch: Partial<Incident>): Partial<IncidentRow> {
  const { analysis, coding_task, ...rest } = patch;
  const row: Partial<IncidentRow> = { ...rest };
  if (analysis !== undefined) row.analysis = analysis === null ? null : JSON.stringify(analysis);
  if (coding_task !== undefined) row.coding_task = coding_task === null ? null : JSON.stringify(coding_task);
  return row;
}

function toAction(row: ActionRow): Action {
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

function fromActionPatch(patch: Partial<Action>): Partial<ActionRow> {
  const { gateway_response, effective, ...rest } = patch;
  const row: Partial<ActionRow> = { ...rest };
  if (gateway_response !== undefined) row.gateway_response = gateway_response === null ? null : JSON.stringify(gateway_response);
  if (effective !== undefined) row.effective = effective === null ? null : effective ? 1 : 0;
  return row;
}

function toAlert(row: AgentTables['alerts']): StoredAlert {
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

/** {@link AgentStore} on SQLite or PostgreSQL through Kysely. */
export class KyselyAgentStore implements AgentStore {
  private readonly db: Kysely<AgentTables>;

  private constructor(private readonly database: Database<AgentTables>) {
    this.db = database.db;
  }

  /** Migrates the database (component `devops_agent`) and opens the store on it. */
  static async open(database: Database<unknown>): Promise<KyselyAgentStore> {
    await migrate(database, 'devops_agent', agentMigrations);
    return new KyselyAgentStore(database as Database<AgentTables>);
  }

  async ingest(alerts: IncomingAlert[], options: IngestOptions): Promise<IngestResult> {
    const [result] = await this.ingestMany([alerts], options);
    return result!;
  }

  async ingestMany(batches: IncomingAlert[][], options: IngestOptions): Promise<IngestResult[]> {
    const empty = (alerts: IncomingAlert[]): IngestResult => ({ received: alerts.length, created: 0, resolved: 0, unchanged: 0, ignored: 0, opened: [], reopened: [], touched: [], queued: 0 });
    if (batches.every((alerts) => alerts.length === 0)) return batches.map(empty);
    return this.db.transaction().execute(async (trx) => {
      const results: IngestResult[] = [];
      for (const alerts of batches) results.push(alerts.length === 0 ? empty(alerts) : await this.ingestAlerts(trx, alerts, options, empty(alerts)));
      return results;
    });
  }

  /** One notification's intake inside `trx`. */
  private async ingestAlerts(trx: Transaction<AgentTables>, alerts: IncomingAlert[], options: IngestOptions, result: IngestResult): Promise<IngestResult> {
    // Within one payload the last word on an alert wins, a resolution over a firing.
    const unique = new Map<string, IncomingAlert>();
    for (const alert of alerts) {
      const key = `${alert.fingerprint}\u0000${alert.starts_at}`;
      const previous = unique.get(key);
      if (previous?.status === 'resolved' && alert.status === 'firing') continue;
      unique.set(key, alert);
    }
    result.unchanged += alerts.length - unique.size;
    {
      const now = new Date().toISOString();
      const fingerprints = [...new Set([...unique.values()].map((alert) => alert.fingerprint))];
      const existing = new Map<string, { status: string; incident_id: string }>();
      for (const part of chunks(fingerprints)) {
        const rows = await trx
          .selectFrom('alerts')
          .select(['fingerprint', 'starts_at', 'status', 'incident_id'])
          .where('fingerprint', 'in', part)
          .execute();
        for (const row of rows) existing.set(`${row.fingerprint}\u0000${row.starts_at}`, row);
      }
      const fresh: IncomingAlert[] = [];
      const resolving: { alert: IncomingAlert; incident_id: string }[] = [];
      for (const [key, alert] of unique) {
        const known = existing.get(key);
        if (known) {
          if (known.status === 'firing' && alert.status === 'resolved') resolving.push({ alert, incident_id: known.incident_id });
          else result.unchanged += 1;
        } else if (alert.status === 'resolved') {
          result.ignored += 1;
        } else {
          fresh.push(alert);
        }
      }

      const events: NewEvent[] = [];
      const jobs: NewJob[] = [];
      const touched = new Set<string>();

      // Group new firing alerts and find (or open, or re-open) their incidents.
      const groups = new Map<string, IncomingAlert[]>();
      for (const alert of fresh) {
        const key = groupKeyOf(alert.labels, options.groupBy);
        const members = groups.get(key);
        if (members) members.push(alert);
        else groups.set(key, [alert]);
      }
      const incidentOf = new Map<string, string>();
      const lastFiredOf = new Map<string, string>();
      if (groups.size > 0) {
        const keys = [...groups.keys()];
        for (const part of chunks(keys)) {
          const rows = await trx
            .selectFrom('incidents')
            .select(['id', 'group_key', 'last_fired_at'])
            .where('group_key', 'in', part)
            // Every unresolved incident collects its group's alerts, escalated and failed ones too:
            // an alert storm on an escalated problem must not open an incident per notification.
            .where('state', '!=', 'resolved')
            .orderBy('opened_at', 'asc')
            .execute();
          for (const row of rows) {
            incidentOf.set(row.group_key, row.id);
            lastFiredOf.set(row.id, row.last_fired_at);
          }
        }
        const reopenSince = new Date(Date.now() - options.reopenWindowSeconds * 1000).toISOString();
        const attachedTo: string[] = [];
        for (const [key, members] of groups) {
          const first = members[0]!;
          const described = describeAlert(first.labels);
          const known = incidentOf.get(key);
          const fingerprintsOf = members.slice(0, 20).map((alert) => alert.fingerprint);
          if (known) {
            touched.add(known);
            const quietFor = Date.now() - Date.parse(lastFiredOf.get(known) ?? '');
            // last_fired_at is kept to the second or so; under a storm it is not rewritten per notification.
            if (!(quietFor < LAST_FIRED_RESOLUTION_MS)) attachedTo.push(known);
            // One `alerts-attached` event after each quiet minute at most: an alert storm must not
            // bury the timeline (the alerts themselves are all kept and listed on the incident).
            if (!(quietFor < ATTACH_EVENT_INTERVAL_MS)) {
              events.push({ incident_id: known, type: 'alerts-attached', data: { count: members.length, fingerprints: fingerprintsOf } });
            }
            continue;
          }
          const recent =
            options.reopenWindowSeconds > 0
              ? await trx
                  .selectFrom('incidents')
                  .select(['id', 'flap_count'])
                  .where('group_key', '=', key)
                  .where('state', '=', 'resolved')
                  .where('resolved_at', '>=', reopenSince)
                  .orderBy('resolved_at', 'desc')
                  .limit(1)
                  .executeTakeFirst()
              : undefined;
          if (recent) {
            const flapCount = Number(recent.flap_count) + 1;
            await trx
              .updateTable('incidents')
              .set({ state: 'open', resolved_at: null, last_fired_at: now, updated_at: now, cycle_started_at: now, flap_count: flapCount, escalation_reason: null })
              .where('id', '=', recent.id)
              .execute();
            incidentOf.set(key, recent.id);
            events.push({ incident_id: recent.id, type: 'incident-reopened', data: { flap_count: flapCount, fingerprints: fingerprintsOf } });
            jobs.push({ type: 'analyze', payload: { incident_id: recent.id }, dedupe_key: `analyze:${recent.id}:${flapCount}` });
            result.reopened.push(recent.id);
            touched.add(recent.id);
            continue;
          }
          const id = newId('inc');
          await trx
            .insertInto('incidents')
            .values({
              id,
              group_key: key,
              alertname: described.alertname,
              service: described.service,
              severity: described.severity,
              title: short(first.annotations.summary ?? `${described.alertname} on ${described.service}`),
              state: 'open',
              opened_at: now,
              cycle_started_at: now,
              updated_at: now,
              resolved_at: null,
              last_fired_at: now,
              flap_count: 0,
              action_attempts: 0,
              analysis: null,
              analyzer: null,
              escalation_reason: null,
              coding_task: null,
            })
            .execute();
          incidentOf.set(key, id);
          events.push({ incident_id: id, type: 'incident-opened', data: { alertname: described.alertname, service: described.service, severity: described.severity, count: members.length, fingerprints: fingerprintsOf } });
          jobs.push({ type: 'analyze', payload: { incident_id: id }, dedupe_key: `analyze:${id}:0` });
          result.opened.push(id);
          touched.add(id);
        }
        for (const part of chunks(attachedTo)) {
          await trx.updateTable('incidents').set({ last_fired_at: now, updated_at: now }).where('id', 'in', part).execute();
        }
        const rows = fresh.map((alert) => {
          const described = describeAlert(alert.labels);
          return {
            fingerprint: alert.fingerprint,
            starts_at: alert.starts_at,
            status: alert.status,
            ends_at: alert.ends_at,
            alertname: described.alertname,
            service: described.service,
            severity: described.severity,
            labels: JSON.stringify(alert.labels),
            annotations: JSON.stringify(alert.annotations),
            generator_url: alert.generator_url,
            incident_id: incidentOf.get(groupKeyOf(alert.labels, options.groupBy))!,
            received_at: now,
            updated_at: now,
          };
        });
        for (const part of chunks(rows, 200)) await trx.insertInto('alerts').values(part).execute();
        result.created = fresh.length;
      }

      // Resolutions: update the alert, and when an incident has no firing alert left, reconcile it.
      const resolvedBy = new Map<string, string[]>();
      for (const { alert, incident_id } of resolving) {
        await trx
          .updateTable('alerts')
          .set({ status: 'resolved', ends_at: alert.ends_at, updated_at: now })
          .where('fingerprint', '=', alert.fingerprint)
          .where('starts_at', '=', alert.starts_at)
          .execute();
        const list = resolvedBy.get(incident_id) ?? [];
        list.push(alert.fingerprint);
        resolvedBy.set(incident_id, list);
      }
      result.resolved = resolving.length;
      for (const [incidentId, resolvedFingerprints] of resolvedBy) {
        const firing = await trx
          .selectFrom('alerts')
          .select((builder) => builder.fn.countAll<number>().as('count'))
          .where('incident_id', '=', incidentId)
          .where('status', '=', 'firing')
          .executeTakeFirst();
        const stillFiring = Number(firing?.count ?? 0);
        events.push({ incident_id: incidentId, type: 'alerts-resolved', data: { count: resolvedFingerprints.length, still_firing: stillFiring, fingerprints: resolvedFingerprints.slice(0, 20) } });
        if (stillFiring === 0) jobs.push({ type: 'reconcile', payload: { incident_id: incidentId } });
        touched.add(incidentId);
      }

      await this.writeEvents(trx, events, now);
      await this.writeJobs(trx, jobs, now);
      result.touched = [...touched];
      result.queued = jobs.length;
      return result;
    }
  }

  async commit(changes: ChangeSet): Promise<boolean> {
    return this.db.transaction().execute(async (trx) => {
      const now = new Date().toISOString();
      if (changes.incident) {
        const { id, patch, expectStates } = changes.incident;
        let query = trx
          .updateTable('incidents')
          .set({ ...fromIncidentPatch(patch), updated_at: now })
          .where('id', '=', id);
        if (expectStates) query = query.where('state', 'in', [...expectStates]);
        const updated = await query.executeTakeFirst();
        if (Number(updated.numUpdatedRows) === 0) {
          // Roll back everything in this change set.
          throw new ExpectationFailed();
        }
      }
      for (const update of [...(changes.updateAction ? [changes.updateAction] : []), ...(changes.updateActions ?? [])]) {
        const { id, patch, expectStatuses } = update;
        let query = trx.updateTable('actions').set(fromActionPatch(patch)).where('id', '=', id);
        if (expectStatuses) query = query.where('status', 'in', [...expectStatuses]);
        const updated = await query.executeTakeFirst();
        if (Number(updated.numUpdatedRows) === 0) throw new ExpectationFailed();
      }
      if (changes.createAction) {
        const inserted = await trx
          .insertInto('actions')
          .values(fromActionPatch(changes.createAction) as ActionRow)
          .onConflict((conflict) => conflict.column('idempotency_key').doNothing())
          .executeTakeFirst();
        if (Number(inserted.numInsertedOrUpdatedRows ?? 0) === 0) throw new ExpectationFailed();
      }
      await this.writeEvents(trx, changes.events ?? [], now);
      await this.writeJobs(trx, changes.jobs ?? [], now);
      if (changes.completeJob !== undefined) {
        await trx.updateTable('jobs').set({ status: 'done', updated_at: now }).where('id', '=', changes.completeJob).execute();
      }
      return true;
    }).catch((error: unknown) => {
      if (error instanceof ExpectationFailed) return false;
      throw error;
    });
  }

  private async writeEvents(trx: Executor, events: NewEvent[], now: string): Promise<void> {
    for (const part of chunks(events, 200)) {
      await trx
        .insertInto('incident_events')
        .values(part.map((event) => ({ incident_id: event.incident_id, at: now, type: event.type, data: JSON.stringify(event.data ?? {}) })) as never)
        .execute();
    }
  }

  private async writeJobs(trx: Executor, jobs: NewJob[], now: string): Promise<void> {
    for (const job of jobs) {
      await trx
        .insertInto('jobs')
        .values({
          type: job.type,
          payload: JSON.stringify(job.payload),
          dedupe_key: job.dedupe_key ?? null,
          status: 'queued',
          run_at: job.run_at ?? now,
          attempts: 0,
          last_error: null,
          created_at: now,
          updated_at: now,
        } as never)
        .onConflict((conflict) => conflict.column('dedupe_key').doNothing())
        .execute();
    }
  }

  async getIncident(id: string): Promise<Incident | undefined> {
    const row = await this.db.selectFrom('incidents').selectAll().where('id', '=', id).executeTakeFirst();
    return row ? toIncident(row) : undefined;
  }

  async listIncidents(filter: IncidentFilter = {}): Promise<Incident[]> {
    let query = this.db.selectFrom('incidents').selectAll();
    if (filter.state) query = query.where('state', '=', filter.state);
    if (filter.service) query = query.where('service', '=', filter.service);
    if (filter.alertname) query = query.where('alertname', '=', filter.alertname);
    if (filter.active) query = query.where('state', 'in', [...ACTIVE_STATES]);
    const rows = await query
      .orderBy('opened_at', 'desc')
      .orderBy('id', 'desc')
      .limit(Math.min(filter.limit ?? 50, 500))
      .offset(filter.offset ?? 0)
      .execute();
    return rows.map(toIncident);
  }

  async countIncidentsByState(): Promise<Record<string, number>> {
    const rows = await this.db
      .selectFrom('incidents')
      .select(['state', (builder) => builder.fn.countAll<number>().as('count')])
      .groupBy('state')
      .execute();
    return Object.fromEntries(rows.map((row) => [row.state, Number(row.count)]));
  }

  async incidentAlerts(incidentId: string): Promise<StoredAlert[]> {
    const rows = await this.db
      .selectFrom('alerts')
      .selectAll()
      .where('incident_id', '=', incidentId)
      .orderBy('received_at', 'asc')
      .limit(1000)
      .execute();
    return rows.map(toAlert);
  }

  async incidentEvents(incidentId: string): Promise<IncidentEvent[]> {
    const rows = await this.db
      .selectFrom('incident_events')
      .selectAll()
      .where('incident_id', '=', incidentId)
      .orderBy('id', 'asc')
      .limit(1000)
      .execute();
    return rows.map((row) => ({ ...row, id: Number(row.id), data: JSON.parse(row.data) as Record<string, unknown> }));
  }

  async firingAlerts(fingerprints: string[]): Promise<StoredAlert[]> {
    if (fingerprints.length === 0) return [];
    const rows = await this.db
      .selectFrom('alerts')
      .selectAll()
      .where('fingerprint', 'in', fingerprints)
      .where('status', '=', 'firing')
      .execute();
    return rows.map(toAlert);
  }

  async similarIncidents(alertname: string, service: string, excludeId: string, limit: number): Promise<SimilarIncident[]> {
    const rows = await this.db
      .selectFrom('incidents')
      .selectAll()
      .where('alertname', '=', alertname)
      .where('service', '=', service)
      .where('id', '!=', excludeId)
      .orderBy('opened_at', 'desc')
      .limit(limit)
      .execute();
    if (rows.length === 0) return [];
    const actions = await this.db
      .selectFrom('actions')
      .select(['incident_id', 'operation', 'effective', 'created_at'])
      .where(
        'incident_id',
        'in',
        rows.map((row) => row.id),
      )
      .orderBy('created_at', 'desc')
      .execute();
    return rows.map((row) => {
      const incident = toIncident(row);
      const last = actions.find((action) => action.incident_id === incident.id);
      return {
        incident_id: incident.id,
        ...(incident.analysis ? { issue_type: incident.analysis.analysis.issue_type } : {}),
        ...(last ? { action: last.operation } : {}),
        ...(last && last.effective !== null ? { effective: Number(last.effective) === 1 } : {}),
        ...(incident.resolved_at ? { resolved_at: incident.resolved_at } : {}),
      };
    });
  }

  async getAction(id: string): Promise<Action | undefined> {
    const row = await this.db.selectFrom('actions').selectAll().where('id', '=', id).executeTakeFirst();
    return row ? toAction(row) : undefined;
  }

  async listActions(filter: ActionFilter = {}): Promise<Action[]> {
    let query = this.db.selectFrom('actions').selectAll();
    if (filter.status) query = query.where('status', '=', filter.status);
    if (filter.incident_id) query = query.where('incident_id', '=', filter.incident_id);
    if (filter.target) query = query.where('target', '=', filter.target);
    const rows = await query
      .orderBy('created_at', filter.incident_id ? 'asc' : 'desc')
      .orderBy('attempt', filter.incident_id ? 'asc' : 'desc')
      .limit(Math.min(filter.limit ?? 100, 1000))
      .execute();
    return rows.map(toAction);
  }

  async countActionsByStatus(): Promise<Record<string, number>> {
    const rows = await this.db
      .selectFrom('actions')
      .select(['status', (builder) => builder.fn.countAll<number>().as('count')])
      .groupBy('status')
      .execute();
    return Object.fromEntries(rows.map((row) => [row.status, Number(row.count)]));
  }

  async actionsStartedSince(since: string, target?: string): Promise<Action[]> {
    let query = this.db.selectFrom('actions').selectAll().where('started_at', '>=', since);
    if (target) query = query.where('target', '=', target);
    return (await query.execute()).map(toAction);
  }

  async failuresSince(target: string, since: string): Promise<number> {
    const row = await this.db
      .selectFrom('actions')
      .select((builder) => builder.fn.countAll<number>().as('count'))
      .where('target', '=', target)
      .where('finished_at', '>=', since)
      .where((builder) => builder.or([builder('status', '=', 'failed'), builder('effective', '=', 0)]))
      .executeTakeFirst();
    return Number(row?.count ?? 0);
  }

  async targetsWithFailures(since: string, threshold: number): Promise<string[]> {
    const rows = await this.db
      .selectFrom('actions')
      .select(['target', (builder) => builder.fn.countAll<number>().as('count')])
      .where('finished_at', '>=', since)
      .where((builder) => builder.or([builder('status', '=', 'failed'), builder('effective', '=', 0)]))
      .groupBy('target')
      .execute();
    return rows.filter((row) => Number(row.count) >= threshold).map((row) => row.target);
  }

  async learningStats(filter: { alertname?: string; service?: string } = {}): Promise<LearningStat[]> {
    let query = this.db
      .selectFrom('actions')
      .select((builder) => [
        'alertname',
        'service',
        'operation',
        builder.fn.countAll<number>().as('attempts'),
        builder.fn.sum<number>('effective').as('successes'),
        builder.fn.avg<number>('recovery_seconds').as('mttr'),
      ])
      .where('effective', 'is not', null);
    if (filter.alertname) query = query.where('alertname', '=', filter.alertname);
    if (filter.service) query = query.where('service', '=', filter.service);
    const rows = await query.groupBy(['alertname', 'service', 'operation']).execute();
    return rows
      .map((row) => {
        const attempts = Number(row.attempts);
        const successes = Number(row.successes ?? 0);
        return {
          alertname: row.alertname,
          service: row.service,
          action: row.operation,
          attempts,
          successes,
          effective_rate: attempts === 0 ? 0 : successes / attempts,
          mean_time_to_recovery_s: row.mttr === null ? null : Math.round(Number(row.mttr) * 1000) / 1000,
        };
      })
      .sort((left, right) => right.attempts - left.attempts || left.action.localeCompare(right.action));
  }

  async enqueue(jobs: NewJob[]): Promise<void> {
    if (jobs.length === 0) return;
    await this.db.transaction().execute((trx) => this.writeJobs(trx, jobs, new Date().toISOString()));
  }

  async claimJobs(now: string, limit: number): Promise<Job[]> {
    return this.db.transaction().execute(async (trx) => {
      const rows = await trx
        .selectFrom('jobs')
        .selectAll()
        .where('status', '=', 'queued')
        .where('run_at', '<=', now)
        .orderBy('run_at', 'asc')
        .orderBy('id', 'asc')
        .limit(limit)
        .execute();
      if (rows.length === 0) return [];
      await trx
        .updateTable('jobs')
        .set({ status: 'running', updated_at: now })
        .where(
          'id',
          'in',
          rows.map((row) => row.id),
        )
        .execute();
      return rows.map((row) => ({
        id: Number(row.id),
        type: row.type,
        payload: JSON.parse(row.payload) as Record<string, unknown>,
        attempts: Number(row.attempts),
        run_at: row.run_at,
      }));
    });
  }

  async finishJob(id: number): Promise<void> {
    await this.db
      .updateTable('jobs')
      .set({ status: 'done', updated_at: new Date().toISOString() })
      .where('id', '=', id)
      .where('status', '=', 'running')
      .execute();
  }

  async retryJob(id: number, runAt: string, error: string): Promise<void> {
    const row = await this.db.selectFrom('jobs').select('attempts').where('id', '=', id).executeTakeFirst();
    await this.db
      .updateTable('jobs')
      .set({ status: 'queued', run_at: runAt, attempts: Number(row?.attempts ?? 0) + 1, last_error: error.slice(0, 2000), updated_at: new Date().toISOString() })
      .where('id', '=', id)
      .execute();
  }

  async failJob(id: number, error: string): Promise<void> {
    await this.db
      .updateTable('jobs')
      .set({ status: 'failed', last_error: error.slice(0, 2000), updated_at: new Date().toISOString() })
      .where('id', '=', id)
      .execute();
  }

  async requeueRunningJobs(): Promise<number> {
    const result = await this.db
      .updateTable('jobs')
      .set({ status: 'queued', updated_at: new Date().toISOString() })
      .where('status', '=', 'running')
      .executeTakeFirst();
    return Number(result.numUpdatedRows);
  }

  async countJobsByStatus(): Promise<Record<string, number>> {
    const rows = await this.db
      .selectFrom('jobs')
      .select(['status', (builder) => builder.fn.countAll<number>().as('count')])
      .groupBy('status')
      .execute();
    return Object.fromEntries(rows.map((row) => [row.status, Number(row.count)]));
  }

  close(): Promise<void> {
    return this.database.close();
  }
}

/** Thrown inside a transaction to roll it back when a compare-and-set expectation fails. */
class ExpectationFailed extends Error {}

/** A new action id. */
export const newActionId = () => newId('act');
