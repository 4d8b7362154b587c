import { join } from 'node:path';
import { type Database, KyselyAuditLog, openDatabase } from '@atb/storage';
import type { Config } from '../config.js';
import type { AgentStore } from '../store/agent-store.js';
import { openAgentStore } from '../store/kysely-agent-store.js';

/** The agent's one database, its stores and its audit log (same database: they commit together). */
export interface AgentStorage {
  database: Database<unknown>;
  store: AgentStore;
  auditLog: KyselyAuditLog;
}

/** Opens and migrates `DATABASE_URL` (default: a SQLite file in `DATA_DIR`); closes it again if migrating fails. */
export async function openAgentStorage(config: Config): Promise<AgentStorage> {
  const databaseUrl = config.DATABASE_URL ?? join(config.DATA_DIR, 'devops-agent.sqlite');
  const database = openDatabase<unknown>(databaseUrl, { schema: config.DATABASE_SCHEMA });
  try {
    const auditLog = await KyselyAuditLog.open(database);
    const store = await openAgentStore(database, { audit: auditLog });
    return { database, store, auditLog };
  } catch (error) {
    await database.close();
    throw error;
  }
}
