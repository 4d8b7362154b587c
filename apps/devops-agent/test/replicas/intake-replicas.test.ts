import { openDatabase } from '@atb/storage';
import { createTestSchema, describeWithComponent, probePostgres } from '@atb/testing';
import { sql } from 'kysely';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { ingestAlerts } from '../../src/intake/ingest-alerts.js';
import type { AgentStore } from '../../src/store/agent-store.js';
import { openAgentStore } from '../../src/store/kysely-agent-store.js';
import { incoming, ingestOptions } from '../store/store-fixtures.js';

// Three stores on one schema, each with its own connection pool, stand for three replicas.
describeWithComponent('PostgreSQL', await probePostgres(), 'start it: pg_ctlcluster 15 main start', () => {
  let schema: Awaited<ReturnType<typeof createTestSchema>>;
  const stores: AgentStore[] = [];
  beforeAll(async () => {
    schema = await createTestSchema('agent_intake_replicas');
    for (let index = 0; index < 3; index += 1) stores.push(await openAgentStore(openDatabase<unknown>(schema.url, { schema: schema.schema, poolSize: 4 })));
  });
  afterAll(async () => {
    await Promise.all(stores.map((store) => store.close()));
    await schema.drop();
  });

  it('opens one incident per group and records each alert once when replicas ingest at once', async () => {
    const alerts = Array.from({ length: 40 }, (_, index) => incoming({ alertname: `Down${index % 4}`, service: 'svc', pod: String(index) }));
    // Every alert delivered twice, to two different replicas, all at the same time.
    const deliveries = alerts.flatMap((alert, index) => [
      ingestAlerts(stores[index % 3]!.changes, [alert], ingestOptions),
      ingestAlerts(stores[(index + 1) % 3]!.changes, [alert], ingestOptions),
    ]);
    const results = await Promise.all(deliveries);
    expect(results.reduce((total, result) => total + result.created, 0)).toBe(40);
    const db = openDatabase<unknown>(schema.url, { schema: schema.schema, poolSize: 1 });
    try {
      const incidents = await sql<{ alertname: string; count: string }>`select alertname, count(*) as count from incidents group by alertname order by alertname`.execute(db.db);
      expect(incidents.rows.map((row) => [row.alertname, Number(row.count)])).toEqual([
        ['Down0', 1],
        ['Down1', 1],
        ['Down2', 1],
        ['Down3', 1],
      ]);
      const stored = await sql<{ count: string }>`select count(*) as count from alerts`.execute(db.db);
      expect(Number(stored.rows[0]!.count)).toBe(40);
      const analyses = await sql<{ count: string }>`select count(*) as count from jobs where type = 'analyze'`.execute(db.db);
      expect(Number(analyses.rows[0]!.count)).toBe(4);
    } finally {
      await db.close();
    }
  });
});
