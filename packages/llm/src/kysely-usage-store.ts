import { columnTypes, type Database, type Migration, migrate } from '@atb/storage';
import type { UsageRecord, UsageStore } from './usage-store.js';

interface UsageTable {
  llm_usage: {
    id: number;
    at: string;
    incident_id: string | null;
    purpose: string;
    provider: string;
    model: string;
    prompt_tokens: number;
    completion_tokens: number;
    estimated_cost_usd: number;
    duration_ms: number;
    outcome: string;
    error: string | null;
  };
}

const migrations: Record<string, Migration> = {
  '001_llm_usage': {
    async up(db, dialect) {
      const types = columnTypes(dialect);
      await db.schema
        .createTable('llm_usage')
        .addColumn('id', types.serialId, (column) => (dialect === 'sqlite' ? column.primaryKey().autoIncrement() : column.primaryKey()))
        .addColumn('at', 'text', (column) => column.notNull())
        .addColumn('incident_id', 'text')
        .addColumn('purpose', 'text', (column) => column.notNull())
        .addColumn('provider', 'text', (column) => column.notNull())
        .addColumn('model', 'text', (column) => column.notNull())
        .addColumn('prompt_tokens', types.bigint, (column) => column.notNull())
        .addColumn('completion_tokens', types.bigint, (column) => column.notNull())
        .addColumn('estimated_cost_usd', types.double, (column) => column.notNull())
        .addColumn('duration_ms', types.bigint, (column) => column.notNull())
        .addColumn('outcome', 'text', (column) => column.notNull())
        .addColumn('error', 'text')
        .execute();
      await db.schema.createIndex('llm_usage_at').on('llm_usage').column('at').execute();
      await db.schema.createIndex('llm_usage_incident').on('llm_usage').column('incident_id').execute();
    },
  },
};

/**
 * Usage records in SQLite or PostgreSQL (table `llm_usage`, migrations of component `llm`), so
 * the daily budget and `GET /llm/usage` survive a restart and are shared by replicas.
 */
export class KyselyUsageStore implements UsageStore {
  private constructor(private readonly database: Database<UsageTable>) {}

  static async open(database: Database<unknown>): Promise<KyselyUsageStore> {
    await migrate(database, 'llm', migrations);
    return new KyselyUsageStore(database as Database<UsageTable>);
  }

  async append(record: UsageRecord): Promise<void> {
    await this.database.db
      .insertInto('llm_usage')
      .values({
        at: record.at,
        incident_id: record.incident_id ?? null,
        purpose: record.purpose,
        provider: record.provider,
        model: record.model,
        prompt_tokens: record.prompt_tokens,
        completion_tokens: record.completion_tokens,
        estimated_cost_usd: record.estimated_cost_usd,
        duration_ms: Math.round(record.duration_ms),
        outcome: record.outcome,
        error: record.error ?? null,
      } as never)
      .execute();
  }

  async list(filter: { since?: Date; incident_id?: string; limit?: number }): Promise<UsageRecord[]> {
    let query = this.database.db.selectFrom('llm_usage').selectAll();
    if (filter.since) query = query.where('at', '>=', filter.since.toISOString());
    if (filter.incident_id !== undefined) query = query.where('incident_id', '=', filter.incident_id);
    query = query.orderBy('id', 'desc');
    if (filter.limit !== undefined) query = query.limit(filter.limit);
    const rows = await query.execute();
    return rows.reverse().map((row) => {
      const record: UsageRecord = {
        at: row.at,
        purpose: row.purpose,
        provider: row.provider,
        model: row.model,
        prompt_tokens: Number(row.prompt_tokens),
        completion_tokens: Number(row.completion_tokens),
        estimated_cost_usd: Number(row.estimated_cost_usd),
        duration_ms: Number(row.duration_ms),
        outcome: row.outcome === 'error' ? 'error' : 'ok',
      };
      if (row.incident_id !== null) record.incident_id = row.incident_id;
      if (row.error !== null) record.error = row.error;
      return record;
    });
  }
}
