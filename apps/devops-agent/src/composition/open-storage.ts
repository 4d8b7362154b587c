import { join } from 'node:path';
import { AUDIT_ANCHOR_FILE_NAME, type Database, KyselyAuditLog, openDatabase, resolveAuditKey } from '@atb/storage';
import type { Config } from '../config.js';
import type { AgentStore } from '../store/agent-store.js';
import { openAgentStore } from '../store/kysely-agent-store.js';

/** The agent's one database, its stores and its audit log (same database: they commit together). */
export interface AgentStorage {
  database: Database<unknown>;
  store: AgentStore;
  auditLog: KyselyAuditLog;
}

/**
 * Opens and migrates `DATABASE_URL` (default: a SQLite file in `DATA_DIR`); closes it again if
 * migrating fails. The audit chain is HMAC-keyed (`AUDIT_HMAC_KEY`, required in production) and
 * its head anchored in a file outside the database.
 */
export async function openAgentStorage(config: Config): Promise<AgentStorage> {
  // First: with ENVIRONMENT=production and no audit key this throws before anything opens.
  const key = resolveAuditKey({ configured: config.AUDIT_HMAC_KEY, file: config.AUDIT_HMAC_KEY_FILE, environment: config.ENVIRONMENT, dataDirectory: config.DATA_DIR });
  const databaseUrl = config.DATABASE_URL ?? join(config.DATA_DIR, 'devops-agent.sqlite');
  const database = openDatabase<unknown>(databaseUrl, { schema: config.DATABASE_SCHEMA });
  try {
    const auditLog = await KyselyAuditLog.open(database, {
      key,
      anchorFile: config.AUDIT_ANCHOR_FILE ?? join(config.DATA_DIR, AUDIT_ANCHOR_FILE_NAME),
    });
    const store = await openAgentStore(database, { audit: auditLog });
    return { database, store, auditLog };
  } catch (error) {
    await database.close();
    throw error;
  }
}
