import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type ControlServer, startControlServer } from '@atb/cli/control';
import { createTestDatabase, createTestSchema, deleteRedisKeys, describeWithComponent, probePostgres, probeRedis, type ServiceProcess, startServiceProcess, TEST_REDIS_URL } from '@atb/testing';
import { openDatabase } from '@atb/storage';
import { sql } from 'kysely';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { alert, eventually, notification } from '../support/agent-harness.js';
import { IDLE_TARGET, RecordingSupervisor } from '../support/real-gateway.js';
import { RoundRobinProxy } from '../support/round-robin-proxy.js';

const INCIDENTS = 50;
const NOTIFICATIONS = 1000;
const TOKEN = 'chaos-gateway-token-0123456789';
const JOB_LEASE_SECONDS = 2;
/** The runtime's restart during which one agent and one gateway are killed. */
const KILL_AFTER_RESTARTS = 12;
// Every replica of a service holds the same audit key (one env file), as in a deployment.
const AGENT_AUDIT_KEY = 'chaos-agent-audit-key-0123456789abcdef';
const GATEWAY_AUDIT_KEY = 'chaos-gateway-audit-key-0123456789abcdef';

/**
 * Replica chaos: three agent processes on one PostgreSQL schema and two gateway processes on one
 * PostgreSQL database, behind a round-robin balancer, with the process runtime (one supervised
 * process per target, restarts counted at the supervisor). 1,000 Alertmanager notifications over
 * 50 incidents, each delivered twice to two different agents; one agent and one gateway are
 * SIGKILLed mid-batch, while the runtime performs a restart (notifications still arriving, other
 * actions queued, in the gateways or half-done). Then: every notification recorded once, every
 * incident decided once, every action succeeded and executed exactly once at the runtime, nothing
 * held by a dead replica after its lease, the audit chains valid.
 * Run with the agents' jobs in the database table and, with `REDIS_URL`, on BullMQ.
 */
function chaosSuite(backend: 'database' | 'redis') {
  const redisPrefix = `atb-test-chaos-${process.pid}-${Date.now().toString(36)}`;
  const supervisor = new RecordingSupervisor(() => {});
  const agents: ServiceProcess[] = [];
  const gateways: ServiceProcess[] = [];
  let control: ControlServer;
  let proxy: RoundRobinProxy;
  let schema: Awaited<ReturnType<typeof createTestSchema>>;
  let gatewayDatabase: Awaited<ReturnType<typeof createTestDatabase>>;
  let directory: string;
  const targets = Array.from({ length: INCIDENTS }, (_, index) => `target-${String(index).padStart(2, '0')}`);

  beforeAll(async () => {
    directory = mkdtempSync(join(tmpdir(), 'agent-chaos-'));
    for (const name of targets) supervisor.start({ name, script: IDLE_TARGET, cwd: directory, env: { PATH: process.env.PATH ?? '', TARGET_NAME: name } });
    control = await startControlServer(supervisor, { controlFile: join(directory, 'atb', 'control.json') });
    schema = await createTestSchema('agent_chaos');
    gatewayDatabase = await createTestDatabase('gateway_chaos');
    for (const name of ['gateway-a', 'gateway-b', 'agent-0', 'agent-1', 'agent-2']) mkdirSync(join(directory, name));
    for (const name of ['gateway-a', 'gateway-b']) {
      gateways.push(
        await startServiceProcess('apps/command-gateway/src/main.ts', {
          DATA_DIR: join(directory, name),
          DATABASE_URL: gatewayDatabase.url,
          AI_COMMAND_GATEWAY_TOKEN: TOKEN,
          AUDIT_HMAC_KEY: GATEWAY_AUDIT_KEY,
          GATEWAY_RUNTIME: 'process',
          ATB_CONTROL_FILE: control.controlFile,
          GATEWAY_ALLOWED_TARGETS: targets.join(','),
        }),
      );
    }
    proxy = new RoundRobinProxy(gateways.map((gateway) => gateway.url));
    await proxy.start();
    for (const name of ['agent-0', 'agent-1', 'agent-2']) {
      agents.push(
        await startServiceProcess('apps/devops-agent/src/main.ts', {
          DATA_DIR: join(directory, name),
          DATABASE_URL: schema.url,
          DATABASE_SCHEMA: schema.schema,
          REPLICA_ID: name,
          ...(backend === 'redis' ? { REDIS_URL: TEST_REDIS_URL, REDIS_PREFIX: redisPrefix } : {}),
          AUDIT_HMAC_KEY: AGENT_AUDIT_KEY,
          JOB_LEASE_SECONDS: String(JOB_LEASE_SECONDS),
          SAFETY_MODE: 'false',
          ACTION_COOLDOWN: '0',
          ACTION_RATE_LIMIT_PER_HOUR: '100000',
          AI_COMMAND_GATEWAY_URL: proxy.url,
          AI_COMMAND_GATEWAY_TOKEN: TOKEN,
          AI_COMMAND_GATEWAY_TIMEOUT: '60',
          // No verification verdict within the test: one decision per incident.
          VERIFICATION_WINDOW: '3600',
          MARKET_PREDICTOR_URL: 'http://127.0.0.1:9',
        }),
      );
    }
  }, 300_000);
  afterAll(async () => {
    await Promise.all([...agents, ...gateways].map((process) => process.kill()));
    await proxy?.stop();
    await control?.close();
    await supervisor.stopAll(5000);
    await schema?.drop();
    await gatewayDatabase?.drop();
    if (backend === 'redis') await deleteRedisKeys(redisPrefix);
    rmSync(directory, { recursive: true, force: true });
  });

  /** Alertmanager's way: POST, and on a refused connection or a 5xx send again to another replica. */
  async function deliver(body: unknown, first: number, alive: () => ServiceProcess[]): Promise<void> {
    for (let attempt = 0; attempt < 20; attempt += 1) {
      const live = alive();
      const agent = live[(first + attempt) % live.length]!;
      const response = await fetch(`${agent.url}/webhook/alerts`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }).catch(() => undefined);
      if (response?.ok) return;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    throw new Error('a notification was refused 20 times');
  }

  it('records, decides and executes everything once through kill -9 of an agent and a gateway', async () => {
    let dead = new Set<ServiceProcess>();
    const alive = () => agents.filter((agent) => !dead.has(agent));
    const bodies = Array.from({ length: NOTIFICATIONS }, (_, index) => {
      const incident = index % INCIDENTS;
      const labels = { alertname: 'ServiceDown', service: `svc-${incident}`, container: targets[incident]!, severity: 'critical', pod: String(index) };
      return notification([alert(labels, { fingerprint: `chaos-${index}` })]);
    });
    let sent = 0;
    // The kill comes from the runtime, at the moment it performs the KILL_AFTER_RESTARTS-th restart
    // (before answering it): the notifications are still arriving, other actions are queued, on
    // their way through the gateways or half-done at the runtime.
    let killTime = 0;
    let killedAt: { sent: number; restarts: number; gatewayRequestsInFlight: Record<string, number> } | undefined;
    supervisor.onPerformed = async () => {
      if (killedAt || supervisor.performed.length < KILL_AFTER_RESTARTS) return;
      killedAt = { sent, restarts: supervisor.performed.length, gatewayRequestsInFlight: Object.fromEntries(proxy.inFlight) };
      killTime = Date.now();
      dead = new Set([agents[0]!]);
      await Promise.all([agents[0]!.kill(), gateways[0]!.kill()]);
    };
    const queue = bodies.map((body, index) => ({ body, index }));
    const worker = async () => {
      for (let item = queue.shift(); item; item = queue.shift()) {
        // Twice, to two different replicas.
        await Promise.all([deliver(item.body, item.index, alive), deliver(item.body, item.index + 1, alive)]);
        sent += 1;
      }
    };
    await Promise.all(Array.from({ length: 10 }, worker));
    expect(sent).toBe(NOTIFICATIONS);
    // The replicas died mid-batch: with notifications still to come and actions still to run.
    expect(killedAt).toBeDefined();
    expect(killedAt!.sent).toBeLessThan(NOTIFICATIONS);
    expect(killedAt!.restarts).toBeLessThan(INCIDENTS);

    const database = openDatabase<unknown>(schema.url, { schema: schema.schema, poolSize: 1 });
    const query = async (text: string) => (await sql.raw<Record<string, unknown>>(text.replaceAll('$schema', schema.schema)).execute(database.db)).rows;
    try {
      // Every action reaches its end (the dead gateway's unanswered requests included).
      await eventually(
        async () => {
          const [row] = await query(`select count(*)::int as open from $schema.actions where status in ('pending', 'approved', 'running')`);
          const [actions] = await query(`select count(*)::int as total from $schema.actions`);
          return row!.open === 0 && Number(actions!.total) >= INCIDENTS;
        },
        120_000,
        'every action to finish',
      );
      const [alerts] = await query(`select count(*)::int as total, count(distinct fingerprint)::int as distinct from $schema.alerts`);
      expect(alerts).toEqual({ total: NOTIFICATIONS, distinct: NOTIFICATIONS });
      const incidents = await query(`select service, count(*)::int as count from $schema.incidents group by service`);
      expect(incidents).toHaveLength(INCIDENTS);
      expect(incidents.every((row) => row.count === 1)).toBe(true);
      const perAlerts = await query(`select incident_id, count(*)::int as count from $schema.alerts group by incident_id`);
      expect(perAlerts.every((row) => row.count === NOTIFICATIONS / INCIDENTS)).toBe(true);
      // Decided once: one decision record and one action per incident.
      const decisions = await query(`select subject, count(*)::int as count from $schema.audit_log where action = 'action-decided' group by subject`);
      expect(decisions).toHaveLength(INCIDENTS);
      expect(decisions.filter((row) => row.count !== 1)).toEqual([]);
      const actions = await query(`select target, status, gateway_response from $schema.actions order by target`);
      expect(actions.map((row) => row.target)).toEqual(targets);
      // Executed once at the runtime: one restart per target, and every action that says so really ran.
      const restarts = new Map<string, number>();
      for (const performed of supervisor.performed) restarts.set(performed.target, (restarts.get(performed.target) ?? 0) + 1);
      expect([...restarts.values()].filter((count) => count > 1)).toEqual([]);
      const unfinished = actions.filter((action) => action.status !== 'succeeded');
      expect(Object.fromEntries(unfinished.map((action) => [action.target, { status: action.status, restarts: restarts.get(String(action.target)), response: action.gateway_response }]))).toEqual({});
      expect(targets.filter((target) => restarts.get(target) !== 1)).toEqual([]);
      // Nothing left held by the dead agent once its lease ran out.
      await new Promise((resolve) => setTimeout(resolve, JOB_LEASE_SECONDS * 1000 + 500));
      expect(await query(`select id, type from $schema.jobs where status = 'running' and owner in ('agent-0', 'relay:agent-0')`)).toEqual([]);
      const status = (await (await fetch(`${agents[1]!.url}/status`)).json()) as { queue: Record<string, number>; queue_backend: string };
      expect(status.queue_backend).toBe(backend === 'redis' ? 'bullmq' : 'database');
      // Nor by the dead gateway: no target is held, and no request stays claimed. A claim the killed
      // gateway took for a request nobody retried may stay pending, but it was never renewed after
      // the kill (its lease ends within one claim lease, 15 s by default): the next request with its
      // key is taken over by a live replica.
      const survivor = ((await (await fetch(`${gateways[1]!.url}/status`, { headers: { authorization: `Bearer ${TOKEN}` } })).json()) as { replica: string }).replica;
      const gatewayStore = openDatabase<unknown>(gatewayDatabase.url, { schema: 'command_gateway', poolSize: 1 });
      try {
        const pending = await sql
          .raw<{ owner: string | null; lease_until: string | null; dispatched_at: string | null; request_id: string }>(
            "select owner, lease_until, dispatched_at, request_id from command_gateway.gateway_idempotency where state = 'pending'",
          )
          .execute(gatewayStore.db);
        const held = (row: (typeof pending.rows)[number]) => row.owner === survivor || (row.lease_until !== null && Date.parse(row.lease_until) > killTime + 16_000);
        expect(pending.rows.filter(held), JSON.stringify(pending.rows)).toEqual([]);
        const done = await sql.raw<{ count: number }>("select count(*)::int as count from command_gateway.gateway_idempotency where state = 'done'").execute(gatewayStore.db);
        expect(done.rows[0]!.count).toBeGreaterThanOrEqual(INCIDENTS);
        const locks = await sql.raw<{ count: number }>(`select count(*)::int as count from command_gateway.gateway_target_locks where lease_until > ${Date.now()}`).execute(gatewayStore.db);
        expect(locks.rows[0]!.count).toBe(0);
      } finally {
        await gatewayStore.close();
      }
      const verified = (await (await fetch(`${agents[1]!.url}/audit/verify`)).json()) as { valid: boolean };
      expect(verified, JSON.stringify(verified)).toMatchObject({ valid: true });
      const gatewayVerified = (await (await fetch(`${gateways[1]!.url}/audit/verify`, { headers: { authorization: `Bearer ${TOKEN}` } })).json()) as { valid: boolean };
      expect(gatewayVerified, JSON.stringify(gatewayVerified)).toMatchObject({ valid: true });
      console.log(JSON.stringify({ killedAt, restarts: supervisor.performed.length, answered: Object.fromEntries(proxy.answered) }));
    } finally {
      await database.close();
    }
  }, 600_000);
}

const postgres = await probePostgres();
describeWithComponent('PostgreSQL', postgres, 'start it: pg_ctlcluster 15 main start', () => chaosSuite('database'));
describeWithComponent('PostgreSQL and Redis', postgres ?? (await probeRedis()), 'start PostgreSQL and redis-server', () => chaosSuite('redis'));
