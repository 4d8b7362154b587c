import { columnTypes, type DialectName, type Migration } from '@atb/storage';
import { type Kysely, sql } from 'kysely';

/**
 * The agent's tables. JSON is kept as text and times as ISO-8601 text so that the same
 * queries run on SQLite and PostgreSQL.
 */
export interface AgentTables {
  alerts: {
    fingerprint: string;
    starts_at: string;
    status: string;
    ends_at: string;
    alertname: string;
    service: string;
    severity: string;
    labels: string;
    annotations: string;
    generator_url: string;
    incident_id: string;
    received_at: string;
    updated_at: string;
  };
  incidents: {
    id: string;
    group_key: string;
    alertname: string;
    service: string;
    severity: string;
    title: string;
    state: string;
    opened_at: string;
    cycle_started_at: string;
    updated_at: string;
    resolved_at: string | null;
    last_fired_at: string;
    flap_count: number;
    action_attempts: number;
    analysis: string | null;
    /** The analysis's issue type, kept beside it for the charts (null before analysis). */
    issue_type: string | null;
    /** The runbook the analysis followed, kept beside it for the charts (null before analysis or without one). */
    runbook: string | null;
    analyzer: string | null;
    escalation_reason: string | null;
    coding_task: string | null;
  };
  incident_events: {
    id: number;
    incident_id: string;
    at: string;
    type: string;
    data: string;
  };
  actions: {
    id: string;
    incident_id: string;
    operation: string;
    target: string;
    attempt: number;
    idempotency_key: string;
    status: string;
    risk: string;
    confidence: number;
    intent: string;
    priority: string;
    decided_by: string;
    decision_reason: string;
    created_at: string;
    expires_at: string | null;
    approved_by: string | null;
    approval_reason: string | null;
    started_at: string | null;
    finished_at: string | null;
    gateway_response: string | null;
    effective: number | null;
    verified_at: string | null;
    recovery_seconds: number | null;
    alertname: string;
    service: string;
  };
  jobs: {
    id: number;
    type: string;
    payload: string;
    dedupe_key: string | null;
    status: string;
    run_at: string;
    attempts: number;
    last_error: string | null;
    /** The replica holding a running job, and until when (ISO); null when not running. */
    owner: string | null;
    lease_until: string | null;
    created_at: string;
    updated_at: string;
  };
}

/** Incidents, their alerts and their timeline events. */
async function createIncidentTables(db: Kysely<unknown>, dialect: DialectName, types: ReturnType<typeof columnTypes>): Promise<void> {
  await db.schema
    .createTable('incidents')
    .addColumn('id', 'text', (column) => column.primaryKey())
    .addColumn('group_key', 'text', (column) => column.notNull())
    .addColumn('alertname', 'text', (column) => column.notNull())
    .addColumn('service', 'text', (column) => column.notNull())
    .addColumn('severity', 'text', (column) => column.notNull())
    .addColumn('title', 'text', (column) => column.notNull())
    .addColumn('state', 'text', (column) => column.notNull())
    .addColumn('opened_at', 'text', (column) => column.notNull())
    .addColumn('cycle_started_at', 'text', (column) => column.notNull())
    .addColumn('updated_at', 'text', (column) => column.notNull())
    .addColumn('resolved_at', 'text')
    .addColumn('last_fired_at', 'text', (column) => column.notNull())
    .addColumn('flap_count', 'integer', (column) => column.notNull().defaultTo(0))
    .addColumn('action_attempts', 'integer', (column) => column.notNull().defaultTo(0))
    .addColumn('analysis', 'text')
    .addColumn('analyzer', 'text')
    .addColumn('escalation_reason', 'text')
    .addColumn('coding_task', 'text')
    .execute();
  await db.schema.createIndex('incidents_group').on('incidents').columns(['group_key', 'state']).execute();
  await db.schema.createIndex('incidents_state').on('incidents').columns(['state', 'opened_at']).execute();

  await db.schema
    .createTable('alerts')
    .addColumn('fingerprint', 'text', (column) => column.notNull())
    .addColumn('starts_at', 'text', (column) => column.notNull())
    .addColumn('status', 'text', (column) => column.notNull())
    .addColumn('ends_at', 'text', (column) => column.notNull())
    .addColumn('alertname', 'text', (column) => column.notNull())
    .addColumn('service', 'text', (column) => column.notNull())
    .addColumn('severity', 'text', (column) => column.notNull())
    .addColumn('labels', 'text', (column) => column.notNull())
    .addColumn('annotations', 'text', (column) => column.notNull())
    .addColumn('generator_url', 'text', (column) => column.notNull())
    .addColumn('incident_id', 'text', (column) => column.notNull())
    .addColumn('received_at', 'text', (column) => column.notNull())
    .addColumn('updated_at', 'text', (column) => column.notNull())
    .addPrimaryKeyConstraint('alerts_pk', ['fingerprint', 'starts_at'])
    .execute();
  await db.schema.createIndex('alerts_incident').on('alerts').column('incident_id').execute();
  await db.schema.createIndex('alerts_fingerprint_status').on('alerts').columns(['fingerprint', 'status']).execute();

  await db.schema
    .createTable('incident_events')
    .addColumn('id', types.serialId, (column) =>
      dialect === 'postgres' ? column.primaryKey() : column.primaryKey().autoIncrement(),
    )
    .addColumn('incident_id', 'text', (column) => column.notNull())
    .addColumn('at', 'text', (column) => column.notNull())
    .addColumn('type', 'text', (column) => column.notNull())
    .addColumn('data', 'text', (column) => column.notNull())
    .execute();
  await db.schema.createIndex('incident_events_incident').on('incident_events').columns(['incident_id', 'id']).execute();
}

/** Actions: proposed, approved, run and verified. */
async function createActionTable(db: Kysely<unknown>, _dialect: DialectName, types: ReturnType<typeof columnTypes>): Promise<void> {
  await db.schema
    .createTable('actions')
    .addColumn('id', 'text', (column) => column.primaryKey())
    .addColumn('incident_id', 'text', (column) => column.notNull())
    .addColumn('operation', 'text', (column) => column.notNull())
    .addColumn('target', 'text', (column) => column.notNull())
    .addColumn('attempt', 'integer', (column) => column.notNull())
    .addColumn('idempotency_key', 'text', (column) => column.notNull().unique())
    .addColumn('status', 'text', (column) => column.notNull())
    .addColumn('risk', 'text', (column) => column.notNull())
    .addColumn('confidence', types.double, (column) => column.notNull())
    .addColumn('intent', 'text', (column) => column.notNull())
    .addColumn('priority', 'text', (column) => column.notNull())
    .addColumn('decided_by', 'text', (column) => column.notNull())
    .addColumn('decision_reason', 'text', (column) => column.notNull())
    .addColumn('created_at', 'text', (column) => column.notNull())
    .addColumn('expires_at', 'text')
    .addColumn('approved_by', 'text')
    .addColumn('approval_reason', 'text')
    .addColumn('started_at', 'text')
    .addColumn('finished_at', 'text')
    .addColumn('gateway_response', 'text')
    .addColumn('effective', 'integer')
    .addColumn('verified_at', 'text')
    .addColumn('recovery_seconds', types.double)
    .addColumn('alertname', 'text', (column) => column.notNull())
    .addColumn('service', 'text', (column) => column.notNull())
    .execute();
  await db.schema.createIndex('actions_status').on('actions').columns(['status', 'created_at']).execute();
  await db.schema.createIndex('actions_incident').on('actions').column('incident_id').execute();
  await db.schema.createIndex('actions_target').on('actions').columns(['target', 'finished_at']).execute();
}

/** The durable job queue. */
async function createJobTable(db: Kysely<unknown>, dialect: DialectName, types: ReturnType<typeof columnTypes>): Promise<void> {
  await db.schema
    .createTable('jobs')
    .addColumn('id', types.serialId, (column) =>
      dialect === 'postgres' ? column.primaryKey() : column.primaryKey().autoIncrement(),
    )
    .addColumn('type', 'text', (column) => column.notNull())
    .addColumn('payload', 'text', (column) => column.notNull())
    .addColumn('dedupe_key', 'text', (column) => column.unique())
    .addColumn('status', 'text', (column) => column.notNull())
    .addColumn('run_at', 'text', (column) => column.notNull())
    .addColumn('attempts', 'integer', (column) => column.notNull().defaultTo(0))
    .addColumn('last_error', 'text')
    .addColumn('created_at', 'text', (column) => column.notNull())
    .addColumn('updated_at', 'text', (column) => column.notNull())
    .execute();
  await db.schema.createIndex('jobs_due').on('jobs').columns(['status', 'run_at']).execute();
}

/** Versioned schema of the agent (component `devops_agent`). */
export const agentMigrations: Record<string, Migration> = {
  '001_agent_tables': {
    async up(db, dialect) {
      const types = columnTypes(dialect);
      await createIncidentTables(db, dialect, types);
      await createActionTable(db, dialect, types);
      await createJobTable(db, dialect, types);
    },
  },
  '002_learning_index': {
    async up(db) {
      // Learning statistics and similar-incident look-ups group by alert and service.
      await db.schema.createIndex('actions_learning').on('actions').columns(['alertname', 'service', 'operation']).execute();
      await db.schema.createIndex('incidents_alert_service').on('incidents').columns(['alertname', 'service', 'opened_at']).execute();
    },
  },
  '003_job_leases': {
    async up(db) {
      // Replicas share the queue: a running job is held by one owner under a lease it renews.
      await db.schema.alterTable('jobs').addColumn('owner', 'text').execute();
      await db.schema.alterTable('jobs').addColumn('lease_until', 'text').execute();
    },
  },
  '004_incident_issue_type': {
    async up(db, dialect) {
      // The issue type the analysis found, as a column: charting incidents by type reads no JSON.
      await db.schema.alterTable('incidents').addColumn('issue_type', 'text').execute();
      const fromAnalysis = dialect === 'postgres' ? sql`(analysis::jsonb -> 'analysis' ->> 'issue_type')` : sql`json_extract(analysis, '$.analysis.issue_type')`;
      await sql`UPDATE incidents SET issue_type = ${fromAnalysis} WHERE analysis IS NOT NULL`.execute(db);
      await db.schema.createIndex('incidents_opened_type').on('incidents').columns(['opened_at', 'issue_type']).execute();
    },
  },
  '005_incident_runbook': {
    async up(db, dialect) {
      // The runbook the analysis followed, as a column: effectiveness per runbook reads no JSON.
      await db.schema.alterTable('incidents').addColumn('runbook', 'text').execute();
      const fromAnalysis = dialect === 'postgres' ? sql`(analysis::jsonb ->> 'runbook')` : sql`json_extract(analysis, '$.runbook')`;
      await sql`UPDATE incidents SET runbook = ${fromAnalysis} WHERE analysis IS NOT NULL`.execute(db);
    },
  },
};
