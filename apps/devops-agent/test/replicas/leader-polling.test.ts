import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTestSchema, deleteRedisKeys, describeWithComponent, probePostgres, probeRedis, type ServiceProcess, startServiceProcess, TEST_REDIS_URL } from '@atb/testing';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { eventually } from '../support/agent-harness.js';
import { FakeTarget } from '../support/fake-target.js';

const LEASE_SECONDS = 2;
const INTERVAL_SECONDS = 0.2;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface MonitoringStatus {
  leading: boolean;
  cycles: number;
}

/**
 * Three agent processes on one PostgreSQL schema poll one service: exactly one probes it; when
 * that one is SIGKILLed, another takes polling over within one lease period (plus one renewal
 * interval and one polling interval for it to notice and probe).
 */
function leaderPollingSuite(backend: 'database' | 'redis') {
  const agents: ServiceProcess[] = [];
  const target = new FakeTarget();
  let schema: Awaited<ReturnType<typeof createTestSchema>>;
  let directory: string;
  const prefix = `atb-test-leader-poll-${process.pid}-${Date.now().toString(36)}`;

  beforeAll(async () => {
    await target.start();
    schema = await createTestSchema('agent_leader');
    directory = mkdtempSync(join(tmpdir(), 'agent-leader-'));
    // One after the other: the first one migrates the shared schema.
    for (let index = 0; index < 3; index += 1) {
      agents.push(
        await startServiceProcess('apps/devops-agent/src/main.ts', {
          DATA_DIR: join(directory, `agent-${index}`),
          DATABASE_URL: schema.url,
          DATABASE_SCHEMA: schema.schema,
          REPLICA_ID: `agent-${index}`,
          ...(backend === 'redis' ? { REDIS_URL: TEST_REDIS_URL, REDIS_PREFIX: prefix } : {}),
          LEADER_LEASE_SECONDS: String(LEASE_SECONDS),
          MONITORING_AUTOSTART: 'true',
          MONITORING_INTERVAL: String(INTERVAL_SECONDS),
          MARKET_PREDICTOR_URL: target.url,
          AI_COMMAND_GATEWAY_URL: 'http://127.0.0.1:9',
        }),
      );
    }
  }, 120_000);
  afterAll(async () => {
    await Promise.all(agents.map((agent) => agent.kill()));
    await target.stop();
    await schema?.drop();
    if (backend === 'redis') await deleteRedisKeys(prefix);
    rmSync(directory, { recursive: true, force: true });
  });

  const statuses = (of: ServiceProcess[]) =>
    Promise.all(of.map(async (agent) => (await (await fetch(`${agent.url}/monitoring/status`)).json()) as MonitoringStatus));

  it('probes the service from exactly one replica, and from another within one lease period after it dies', async () => {
    await eventually(async () => (await statuses(agents)).filter((status) => status.leading).length === 1, 20_000, 'one leader');
    const before = await statuses(agents);
    const checksBefore = target.healthChecks;
    await sleep(1500);
    const after = await statuses(agents);
    const probed = after.map((status, index) => status.cycles - before[index]!.cycles);
    const leader = after.findIndex((status) => status.leading);
    expect(probed.filter((count) => count > 0)).toEqual([probed[leader]]);
    expect(probed[leader]).toBeGreaterThanOrEqual(3);
    // Every probe the target saw came from the leader (one probe may be in flight at either end).
    expect(Math.abs(target.healthChecks - checksBefore - probed[leader]!)).toBeLessThanOrEqual(1);

    const survivors = agents.filter((_, index) => index !== leader);
    const survivorCycles = (await statuses(survivors)).map((status) => status.cycles);
    await agents[leader]!.kill();
    const killedAt = Date.now();
    const next = await eventually(
      async () => {
        const now = await statuses(survivors);
        const taken = now.findIndex((status, index) => status.leading && status.cycles > survivorCycles[index]!);
        return taken >= 0 ? taken : undefined;
      },
      20_000,
      'a survivor to take polling over',
    );
    const handover = Date.now() - killedAt;
    // One lease, one renewal interval and one polling interval, plus room for a busy machine.
    expect(handover).toBeLessThan((LEASE_SECONDS + LEASE_SECONDS / 3 + INTERVAL_SECONDS) * 1000 + 2000);
    const settled = await statuses(survivors);
    await sleep(1000);
    const later = await statuses(survivors);
    expect(later.map((status, index) => status.cycles > settled[index]!.cycles)).toEqual(survivors.map((_, index) => index === next));
  }, 120_000);
}

const postgres = await probePostgres();
describeWithComponent('PostgreSQL', postgres, 'start it: pg_ctlcluster 15 main start', () => leaderPollingSuite('database'));
describeWithComponent('PostgreSQL and Redis', postgres ?? (await probeRedis()), 'start PostgreSQL and redis-server', () => leaderPollingSuite('redis'));
