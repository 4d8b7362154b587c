import { type Database, migrate } from '@atb/storage';
import type { AgentStore } from './agent-store.js';
import { KyselyActionStore } from './kysely/kysely-action-store.js';
import { KyselyIncidentStore } from './kysely/kysely-incident-store.js';
import { KyselyJobQueue } from './kysely/kysely-job-queue.js';
import { KyselyLearningStore } from './kysely/kysely-learning-store.js';
import { KyselyUnitOfWork, type TransactionalAudit } from './kysely/kysely-unit-of-work.js';
import { type AgentTables, agentMigrations } from './schema.js';

export interface OpenAgentStoreOptions {
  /** The audit log on the same database: change sets may then carry audit records. */
  audit?: TransactionalAudit;
}

/**
 * Migrates the database (component `devops_agent`) and opens the agent's stores on it, one per
 * aggregate, sharing the connection so that a unit of work spans them all.
 */
export async function openAgentStore(database: Database<unknown>, options: OpenAgentStoreOptions = {}): Promise<AgentStore> {
  await migrate(database, 'devops_agent', agentMigrations);
  const { db } = database as Database<AgentTables>;
  return {
    incidents: new KyselyIncidentStore(db),
    actions: new KyselyActionStore(db),
    jobs: new KyselyJobQueue(db, database.dialect),
    learning: new KyselyLearningStore(db),
    changes: new KyselyUnitOfWork(db, options.audit),
    close: () => database.close(),
  };
}
