import { type Kysely, sql } from 'kysely';
import { ACTIVE_STATES, type Incident, type IncidentEvent, type IncidentFilter, type StoredAlert } from '../agent-store.js';
import type { IncidentOpening, IncidentStore } from '../incident-store.js';
import type { AgentTables } from '../schema.js';
import { toAlert, toIncident } from './rows.js';

/** {@link IncidentStore} on SQLite or PostgreSQL. */
export class KyselyIncidentStore implements IncidentStore {
  constructor(private readonly db: Kysely<AgentTables>) {}

  async get(id: string): Promise<Incident | undefined> {
    const row = await this.db.selectFrom('incidents').selectAll().where('id', '=', id).executeTakeFirst();
    return row ? toIncident(row) : undefined;
  }

  async list(filter: IncidentFilter = {}): Promise<Incident[]> {
    let query = this.db.selectFrom('incidents').selectAll();
    if (filter.state) query = query.where('state', '=', filter.state);
    if (filter.service) query = query.where('service', '=', filter.service);
    if (filter.alertname) query = query.where('alertname', '=', filter.alertname);
    if (filter.issue_type) query = query.where('issue_type', '=', filter.issue_type);
    if (filter.active === true) query = query.where('state', 'in', [...ACTIVE_STATES]);
    if (filter.active === false) query = query.where('state', 'not in', [...ACTIVE_STATES]);
    if (filter.since) query = query.where('opened_at', '>=', filter.since);
    if (filter.until) query = query.where('opened_at', '<', filter.until);
    const before = filter.before;
    if (before) query = query.where((eb) => eb.or([eb('opened_at', '<', before.at), eb.and([eb('opened_at', '=', before.at), eb('id', '<', before.id)])]));
    const rows = await query
      .orderBy('opened_at', 'desc')
      .orderBy('id', 'desc')
      .limit(Math.min(filter.limit ?? 50, 5000))
      .offset(filter.offset ?? 0)
      .execute();
    return rows.map(toIncident);
  }

  async countByState(): Promise<Record<string, number>> {
    const rows = await this.db
      .selectFrom('incidents')
      .select(['state', (builder) => builder.fn.countAll<number>().as('count')])
      .groupBy('state')
      .execute();
    return Object.fromEntries(rows.map((row) => [row.state, Number(row.count)]));
  }

  async alerts(incidentId: string): Promise<StoredAlert[]> {
    const rows = await this.db
      .selectFrom('alerts')
      .selectAll()
      .where('incident_id', '=', incidentId)
      .orderBy('received_at', 'asc')
      .limit(1000)
      .execute();
    return rows.map(toAlert);
  }

  async events(incidentId: string): Promise<IncidentEvent[]> {
    const rows = await this.db
      .selectFrom('incident_events')
      .selectAll()
      .where('incident_id', '=', incidentId)
      .orderBy('id', 'asc')
      .limit(1000)
      .execute();
    return rows.map((row) => ({ ...row, id: Number(row.id), data: JSON.parse(row.data) as Record<string, unknown> }));
  }

  async eventsAfter(afterId: number, limit = 200): Promise<IncidentEvent[]> {
    const rows = await this.db
      .selectFrom('incident_events')
      .selectAll()
      .where('id', '>', afterId)
      .orderBy('id', 'asc')
      .limit(Math.max(1, Math.min(limit, 1000)))
      .execute();
    return rows.map((row) => ({ ...row, id: Number(row.id), data: JSON.parse(row.data) as Record<string, unknown> }));
  }

  async openedSince(since: string, limit = 50_000): Promise<IncidentOpening[]> {
    const rows = await this.db
      .selectFrom('incidents')
      .select(['opened_at', 'service', 'issue_type'])
      .where('opened_at', '>=', since)
      .orderBy('opened_at', 'asc')
      .limit(Math.max(1, Math.min(limit, 50_000)))
      .execute();
    return rows;
  }

  async activeCounts(): Promise<Record<string, { open: number; critical: number }>> {
    const rows = await this.db
      .selectFrom('incidents')
      .select(['service', (builder) => builder.fn.countAll<number>().as('open'), sql<number>`sum(case when severity = 'critical' then 1 else 0 end)`.as('critical')])
      .where('state', 'in', [...ACTIVE_STATES])
      .groupBy('service')
      .execute();
    return Object.fromEntries(rows.map((row) => [row.service, { open: Number(row.open), critical: Number(row.critical) }]));
  }

  async alertsPerDay(since: string): Promise<{ day: string; count: number }[]> {
    const rows = await this.db
      .selectFrom('alerts')
      .select([sql<string>`substr(received_at, 1, 10)`.as('day'), (builder) => builder.fn.countAll<number>().as('count')])
      .where('received_at', '>=', since)
      .groupBy(sql`substr(received_at, 1, 10)`)
      .orderBy(sql`substr(received_at, 1, 10)`)
      .execute();
    return rows.map((row) => ({ day: row.day, count: Number(row.count) }));
  }

  async latestEventId(): Promise<number> {
    const row = await this.db
      .selectFrom('incident_events')
      .select((builder) => builder.fn.max('id').as('latest'))
      .executeTakeFirst();
    return Number(row?.latest ?? 0);
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
}
