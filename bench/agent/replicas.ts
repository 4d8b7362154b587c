/**
 * Benchmark of the devops agent as replicas, in one run on this machine: 1 and 3 agent processes
 * sharing one PostgreSQL schema, leader election and jobs in the database ("postgres") or, with
 * REDIS_URL, jobs on BullMQ (the table their outbox) and leader election in Redis ("redis").
 * For each setup:
 *
 * 1. ingest: notifications of 10 alerts over loopback HTTP, sent round-robin to the replicas by
 *    16 concurrent senders; each answers only once its alerts and jobs are committed. Alerts/s
 *    and the request latency p50/p99.
 * 2. decision: a firing alert sent to one replica (round-robin) → the (local, scripted) gateway
 *    receives the restart request, SAFETY_MODE=false, one incident at a time; p50/p99.
 *
 *   npx tsx --conditions=@atb/source bench/agent/replicas.ts [--requests 600] [--decisions 60]
 */
import { cpus, loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { ZERO_TIME } from '@atb/contracts';
import { createTestSchema, deleteRedisKeys, probePostgres, probeRedis, type ServiceProcess, startServiceProcess, TEST_REDIS_URL } from '@atb/testing';
import { ScriptedGateway } from '../../apps/devops-agent/test/support/scripted-gateway.js';

const { values: args } = parseArgs({
  options: { requests: { type: 'string', default: '600' }, decisions: { type: 'string', default: '60' } },
});
const REQUESTS = Number(args.requests);
const DECISIONS = Number(args.decisions);
const CONCURRENCY = 16;
const TOKEN = 'bench-gateway-token-0123456789';

const percentile = (values: number[], fraction: number) => {
  const sorted = [...values].sort((left, right) => left - right);
  return sorted[Math.min(sorted.length - 1, Math.floor((sorted.length - 1) * fraction))] ?? Number.NaN;
};

let sequence = 0;
function notification(count: number, labels: Record<string, string>) {
  const alerts = Array.from({ length: count }, () => {
    sequence += 1;
    return { status: 'firing', labels: { severity: 'warning', instance: `i-${sequence}`, ...labels }, annotations: { summary: 'bench' }, startsAt: '2026-01-01T00:00:00Z', endsAt: ZERO_TIME, generatorURL: '', fingerprint: `bench-${process.pid}-${sequence}` };
  });
  return JSON.stringify({ version: '4', groupKey: '{}', truncatedAlerts: 0, status: 'firing', receiver: 'bench', groupLabels: {}, commonLabels: {}, commonAnnotations: {}, externalURL: '', alerts });
}

async function post(url: string, body: string): Promise<number> {
  const started = performance.now();
  const response = await fetch(`${url}/webhook/alerts`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
  await response.arrayBuffer();
  if (!response.ok) throw new Error(`ingest answered ${response.status}`);
  return performance.now() - started;
}

async function ingest(agents: ServiceProcess[]) {
  const latencies: number[] = [];
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < REQUESTS) {
        const index = next++;
        // 50 groups of low-severity noise, so the decisions of phase 2 are not queued behind them.
        latencies.push(await post(agents[index % agents.length]!.url, notification(10, { alertname: `BenchNoise${index % 10}`, service: `noise-${index % 5}` })));
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  return { alertsPerSecond: (REQUESTS * 10) / seconds, p50: percentile(latencies, 0.5), p99: percentile(latencies, 0.99) };
}

async function decisions(agents: ServiceProcess[], gateway: ScriptedGateway, label: string) {
  const latencies: number[] = [];
  for (let index = 0; index < DECISIONS; index += 1) {
    const service = `${label}-decision-${index}`;
    const arrived = new Promise<number>((resolve) => {
      gateway.onExecute = (request) => {
        if (request.action_request.intent.includes(service)) resolve(performance.now());
      };
    });
    const sent = performance.now();
    await post(agents[index % agents.length]!.url, notification(1, { alertname: 'ServiceDown', service, severity: 'critical' }));
    latencies.push((await arrived) - sent);
  }
  return { p50: percentile(latencies, 0.5), p99: percentile(latencies, 0.99) };
}

async function run(backend: 'postgres' | 'redis', replicas: number) {
  const schema = await createTestSchema('bench_agent_replicas');
  const prefix = `bench-${process.pid}-${backend}-${replicas}`;
  // Every service the decisions stage alerts on is allowlisted: an agent runs nothing on its own the gateway's policy does not grant.
  const gateway = new ScriptedGateway({ token: TOKEN, allowlist: Array.from({ length: DECISIONS }, (_, index) => `${backend}${replicas}-decision-${index}`) });
  await gateway.start();
  const agents: ServiceProcess[] = [];
  try {
    for (let index = 0; index < replicas; index += 1) {
      agents.push(
        await startServiceProcess('apps/devops-agent/src/main.ts', {
          LOG_LEVEL: 'silent',
          DATA_DIR: `/tmp/${prefix}-${index}`,
          DATABASE_URL: schema.url,
          DATABASE_SCHEMA: schema.schema,
          ...(backend === 'redis' ? { REDIS_URL: TEST_REDIS_URL, REDIS_PREFIX: prefix } : {}),
          SAFETY_MODE: 'false',
          ACTION_COOLDOWN: '0',
          ACTION_RATE_LIMIT_PER_HOUR: '100000',
          VERIFICATION_WINDOW: '3600',
          AI_COMMAND_GATEWAY_URL: gateway.url,
          AI_COMMAND_GATEWAY_TOKEN: TOKEN,
          MARKET_PREDICTOR_URL: 'http://127.0.0.1:9',
        }),
      );
    }
    const ingested = await ingest(agents);
    const decided = await decisions(agents, gateway, `${backend}${replicas}`);
    return { backend, replicas, ...ingested, decisionP50: decided.p50, decisionP99: decided.p99 };
  } finally {
    await Promise.all(agents.map((agent) => agent.kill()));
    await gateway.stop();
    await schema.drop();
    if (backend === 'redis') await deleteRedisKeys(prefix);
  }
}

async function main() {
  const missing = (await probePostgres()) ?? (await probeRedis());
  if (missing) throw new Error(`PostgreSQL and Redis are needed: ${missing}`);
  console.log(`devops agent as replicas: ${cpus().length} cores, load average ${loadavg()[0]!.toFixed(1)}, node ${process.version}`);
  console.log(`${REQUESTS} notifications of 10 alerts, ${CONCURRENCY} senders; ${DECISIONS} decisions one at a time\n`);
  console.log('| backend | replicas | ingest alerts/s | ingest request p50 / p99 | decision p50 / p99 |');
  console.log('|---|---|---|---|---|');
  for (const backend of ['postgres', 'redis'] as const) {
    for (const replicas of [1, 3]) {
      const result = await run(backend, replicas);
      console.log(
        `| ${backend} | ${replicas} | ${Math.round(result.alertsPerSecond).toLocaleString('en')} | ${result.p50.toFixed(1)} / ${result.p99.toFixed(1)} ms | ${result.decisionP50.toFixed(1)} / ${result.decisionP99.toFixed(1)} ms |`,
      );
    }
  }
  console.log(`\nload average after: ${loadavg()[0]!.toFixed(1)}`);
}

await main();
