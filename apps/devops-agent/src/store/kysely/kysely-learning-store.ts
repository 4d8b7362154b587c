import type { Kysely } from 'kysely';
import type { SimilarIncident } from '../agent-store.js';
import type { LearningStore, OutcomeTotals } from '../learning-store.js';
import type { AgentTables } from '../schema.js';
import { toIncident } from './rows.js';

/** {@link LearningStore} on SQLite or PostgreSQL: sums in SQL, statistics in learning/. */
export class KyselyLearningStore implements LearningStore {
  constructor(private readonly db: Kysely<AgentTables>) {}

  async outcomeTotals(filter: { alertname?: string; service?: string } = {}): Promise<OutcomeTotals[]> {
    let query = this.db
      .selectFrom('actions')
      .select((builder) => [
        'alertname',
        'service',
        'operation',
        builder.fn.countAll<number>().as('verified'),
        builder.fn.sum<number>('effective').as('effective'),
        builder.fn.sum<number>('recovery_seconds').as('recovery_sum'),
        builder.fn.count<number>('recovery_seconds').as('recoveries'),
      ])
      .where('effective', 'is not', null);
    if (filter.alertname) query = query.where('alertname', '=', filter.alertname);
    if (filter.service) query = query.where('service', '=', filter.service);
    const rows = await query.groupBy(['alertname', 'service', 'operation']).execute();
    return rows.map((row) => ({
      alertname: row.alertname,
      service: row.service,
      action: row.operation,
      verified: Number(row.verified),
      effective: Number(row.effective ?? 0),
      recovery_seconds_sum: Number(row.recovery_sum ?? 0),
      recoveries: Number(row.recoveries),
    }));
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
}
