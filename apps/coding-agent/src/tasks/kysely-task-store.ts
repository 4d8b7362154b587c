import { columnTypes, type Database, type Migration, migrate } from '@atb/storage';
import type { NewTask, Task, TaskEvent } from './task.js';
import type { TaskFilter, TaskStore } from './task-store.js';

interface TaskTables {
  coding_tasks: {
    task_id: string;
    status: string;
    repository: string;
    created_at: string;
    updated_at: string;
    body: string;
    idempotency_key: string | null;
  };
  coding_task_events: {
    seq: number;
    task_id: string;
    type: string;
    timestamp: string;
    data: string;
  };
}

const migrations: Record<string, Migration> = {
  '001_tasks': {
    async up(db, dialect) {
      const types = columnTypes(dialect);
      await db.schema
        .createTable('coding_tasks')
        .addColumn('task_id', 'text', (column) => column.primaryKey())
        .addColumn('status', 'text', (column) => column.notNull())
        .addColumn('repository', 'text', (column) => column.notNull())
        .addColumn('created_at', 'text', (column) => column.notNull())
        .addColumn('updated_at', 'text', (column) => column.notNull())
        .addColumn('body', 'text', (column) => column.notNull())
        .execute();
      await db.schema.createIndex('coding_tasks_status').on('coding_tasks').column('status').execute();
      await db.schema
        .createTable('coding_task_events')
        .addColumn('seq', types.serialId, (column) =>
          dialect === 'postgres' ? column.primaryKey() : column.primaryKey().autoIncrement(),
        )
        .addColumn('task_id', 'text', (column) => column.notNull())
        .addColumn('type', 'text', (column) => column.notNull())
        .addColumn('timestamp', 'text', (column) => column.notNull())
        .addColumn('data', 'text', (column) => column.notNull())
        .execute();
      await db.schema.createIndex('coding_task_events_task').on('coding_task_events').columns(['task_id', 'seq']).execute();
    },
  },
  '002_idempotency_key': {
    async up(db) {
      await db.schema.alterTable('coding_tasks').addColumn('idempotency_key', 'text').execute();
      await db.schema.createIndex('coding_tasks_idempotency_key').on('coding_tasks').column('idempotency_key').unique().execute();
    },
  },
  // Columns of the leases tasks had before the work queue took over claiming; no longer written.
  '003_lease': {
    async up(db) {
      await db.schema.alterTable('coding_tasks').addColumn('owner', 'text').execute();
      await db.schema.alterTable('coding_tasks').addColumn('lease_until', 'text').execute();
    },
  },
};

/** Tasks on SQLite or PostgreSQL: one row per task (its JSON body), one row per event. */
export class KyselyTaskStore implements TaskStore {
  private constructor(private readonly database: Database<TaskTables>) {}

  /** Migrates the database and opens the store. */
  static async open(database: Database<unknown>): Promise<KyselyTaskStore> {
    await migrate(database, 'coding_tasks', migrations);
    return new KyselyTaskStore(database as Database<TaskTables>);
  }

  async findByIdempotencyKey(key: string): Promise<Task | undefined> {
    const row = await this.database.db
      .selectFrom('coding_tasks')
      .select('body')
      .where('idempotency_key', '=', key)
      .executeTakeFirst();
    return row ? (JSON.parse(row.body) as Task) : undefined;
  }

  async create(id: string, input: NewTask, now: Date, idempotencyKey?: string): Promise<Task> {
    const timestamp = now.toISOString();
    const task: Task = {
      task_id: id,
      repository: input.repository,
      requirement: input.requirement,
      ...(input.base_branch === undefined ? {} : { base_branch: input.base_branch }),
      ...(input.incident_id === undefined ? {} : { incident_id: input.incident_id }),
      ...(input.allowed_paths === undefined ? {} : { allowed_paths: input.allowed_paths }),
      status: 'queued',
      created_at: timestamp,
      updated_at: timestamp,
      steps: [],
      edits: [],
      test_results: { runs: [] },
      security_findings: [],
      tokens: { input: 0, output: 0, total: 0 },
      cost_usd: 0,
      iterations: 0,
      resumes: 0,
    };
    await this.database.db
      .insertInto('coding_tasks')
      .values({
        task_id: id,
        status: task.status,
        repository: task.repository,
        created_at: timestamp,
        updated_at: timestamp,
        body: JSON.stringify(task),
        idempotency_key: idempotencyKey ?? null,
      })
      .execute();
    return task;
  }

  async get(id: string): Promise<Task | undefined> {
    const row = await this.database.db
      .selectFrom('coding_tasks')
      .select('body')
      .where('task_id', '=', id)
      .executeTakeFirst();
    return row ? (JSON.parse(row.body) as Task) : undefined;
  }

  async list(filter: TaskFilter = {}): Promise<Task[]> {
    let query = this.database.db.selectFrom('coding_tasks').select('body');
    if (filter.status && filter.status.length > 0) query = query.where('status', 'in', filter.status);
    if (filter.repository) query = query.where('repository', '=', filter.repository);
    const rows = await query
      .orderBy('created_at', 'desc')
      .orderBy('task_id', 'desc')
      .limit(filter.limit ?? 100)
      .execute();
    return rows.map((row) => JSON.parse(row.body) as Task);
  }

  async save(task: Task): Promise<void> {
    const result = await this.database.db
      .updateTable('coding_tasks')
      .set({ status: task.status, updated_at: task.updated_at, body: JSON.stringify(task) })
      .where('task_id', '=', task.task_id)
      .executeTakeFirst();
    if (Number(result.numUpdatedRows) !== 1) throw new Error(`task ${task.task_id} does not exist`);
  }

  async appendEvent(taskId: string, type: TaskEvent['type'], data: Record<string, unknown>, now: Date): Promise<TaskEvent> {
    const timestamp = now.toISOString();
    const row = await this.database.db
      .insertInto('coding_task_events')
      .values({ task_id: taskId, type, timestamp, data: JSON.stringify(data) } as never)
      .returning('seq')
      .executeTakeFirstOrThrow();
    return { seq: Number(row.seq), task_id: taskId, type, timestamp, data };
  }

  async listEvents(taskId: string, afterSeq = 0): Promise<TaskEvent[]> {
    const rows = await this.database.db
      .selectFrom('coding_task_events')
      .selectAll()
      .where('task_id', '=', taskId)
      .where('seq', '>', afterSeq)
      .orderBy('seq', 'asc')
      .execute();
    return rows.map((row) => ({
      seq: Number(row.seq),
      task_id: row.task_id,
      type: row.type as TaskEvent['type'],
      timestamp: row.timestamp,
      data: JSON.parse(row.data) as Record<string, unknown>,
    }));
  }

  close(): Promise<void> {
    return this.database.close();
  }
}
