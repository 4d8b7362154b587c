/**
 * Benchmark of the devops agent, in one run on this machine:
 *
 * 1. Webhook ingest over loopback HTTP into the agent running as its own process: alerts
 *    persisted per second (each request answers only after its alerts and jobs are committed),
 *    batches of 1 and of 10, with `GET /health` p99 of the same server measured idle (baseline)
 *    and under the ingest load (ratio), and alerts per CPU-second of the agent process.
 *    Goal: ≥ 10,000 alerts/s in batches of 10.
 * 2. Decision latency of the rule path: from sending a firing alert to the (local, scripted)
 *    gateway receiving the restart request, SAFETY_MODE=false, p50/p99. Goal: p99 ≤ 50 ms.
 * 3. RSS of the agent's own process after 100,000 alerts ingested (built `dist/` when present:
 *    run `npx tsc --build apps/devops-agent` first). Goal: ≤ 250 MB.
 *
 *   npx tsx --conditions=@atb/source bench/agent/agent.ts [--requests 3000] [--concurrency 16] [--decisions 300]
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { Agent, request as httpRequest } from 'node:http';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { ZERO_TIME } from '@atb/contracts';
import { buildDevopsAgent, type DevopsAgentService } from '../../apps/devops-agent/src/app.js';
import { readConfig } from '../../apps/devops-agent/src/config.js';
import { ScriptedGateway } from '../../apps/devops-agent/test/support/scripted-gateway.js';

const { values: args } = parseArgs({
  options: {
    requests: { type: 'string', default: '3000' },
    concurrency: { type: 'string', default: '16' },
    decisions: { type: 'string', default: '300' },
    total: { type: 'string', default: '100000' },
  },
});
const REQUESTS = Number(args.requests);
const CONCURRENCY = Number(args.concurrency);
const DECISIONS = Number(args.decisions);
const TOTAL = Number(args.total);
const GOALS = { alertsPerSecond: 10_000, decisionP99Ms: 50, rssMb: 250 };

const directories: string[] = [];
async function agentWith(environment: Record<string, string>): Promise<{ agent: DevopsAgentService; url: string }> {
  const directory = mkdtempSync(join(tmpdir(), 'bench-agent-'));
  directories.push(directory);
  const agent = await buildDevopsAgent(
    readConfig({ API_PORT: '0', LOG_LEVEL: 'silent', DATA_DIR: directory, AI_COMMAND_GATEWAY_TOKEN: 'bench', ...environment }),
    { logger: false },
  );
  return { agent, url: await agent.listen() };
}

/** A lean keep-alive HTTP client for the load generator (lighter than fetch, so the server is what is measured). */
const keepAlive = new Agent({ keepAlive: true, maxSockets: 64 });
function post(target: string, payload: string): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const request = httpRequest(target, { method: 'POST', agent: keepAlive, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) } }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
      response.on('error', reject);
    });
    request.on('error', reject);
    request.end(payload);
  });
}

/** CPU seconds (user + system) a process has used so far (Linux). */
function cpuSecondsOf(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** Resident memory of a process, in MB (Linux). */
function rssOf(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? Number.NaN) / 1024;
}

/** The agent as its own process: `node dist/src/main.js` when built (npx tsc --build apps/devops-agent), else through tsx. */
async function agentProcess(): Promise<{ url: string; pid: number; how: string; stop(): void }> {
  const directory = mkdtempSync(join(tmpdir(), 'bench-agent-process-'));
  directories.push(directory);
  const built = fileURLToPath(new URL('../../apps/devops-agent/dist/src/main.js', import.meta.url));
  const source = fileURLToPath(new URL('../../apps/devops-agent/src/main.ts', import.meta.url));
  const useBuilt = existsSync(built);
  const child = spawn(process.execPath, useBuilt ? [built] : ['--conditions=@atb/source', '--import', 'tsx', source], {
    env: { ...process.env, API_PORT: '0', LOG_LEVEL: 'info', DATA_DIR: directory, AI_COMMAND_GATEWAY_TOKEN: 'bench', SAFETY_MODE: 'true', MARKET_PREDICTOR_URL: 'http://127.0.0.1:9' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let output = '';
  child.stdout?.on('data', (chunk) => {
    output += String(chunk);
  });
  for (let attempt = 0; attempt < 600; attempt += 1) {
    const url = /"url":"(http:\/\/[^"]+)"/.exec(output)?.[1];
    if (url) return { url, pid: child.pid!, how: useBuilt ? 'node dist/src/main.js' : 'node --import tsx src/main.ts (not built)', stop: () => child.kill('SIGTERM') };
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  child.kill('SIGKILL');
  throw new Error(`the agent process did not start: ${output}`);
}

let sequence = 0;
/** A notification's alerts share a group (as Alertmanager's group_by makes them); 50 groups in all. */
function alerts(count: number, labels: (index: number) => Record<string, string>) {
  const group = Math.floor(Math.random() * 50);
  return Array.from({ length: count }, () => {
    sequence += 1;
    return {
      status: 'firing',
      labels: { alertname: `BenchAlert${group % 10}`, service: `bench-${group}`, instance: `i-${sequence}`, ...labels(sequence) },
      annotations: { summary: 'bench' },
      startsAt: '2026-01-01T00:00:00Z',
      endsAt: ZERO_TIME,
      generatorURL: '',
      fingerprint: `bench-${sequence.toString(16)}`,
    };
  });
}
const body = (list: unknown[]) => JSON.stringify({ version: '4', status: 'firing', receiver: 'bench', groupLabels: {}, commonLabels: {}, commonAnnotations: {}, externalURL: '', groupKey: '', truncatedAlerts: 0, alerts: list });

const percentile = (values: number[], p: number) => {
  const sorted = [...values].sort((left, right) => left - right);
  return sorted[Math.min(sorted.length - 1, Math.floor((sorted.length - 1) * p))] ?? Number.NaN;
};
const verdict = (ok: boolean) => (ok ? 'PASS' : 'MISS');

async function healthLatencies(url: string, until: () => boolean, minimum = 200): Promise<number[]> {
  const latencies: number[] = [];
  while (!until() || latencies.length < minimum) {
    const started = performance.now();
    const response = await fetch(`${url}/health`);
    await response.arrayBuffer();
    latencies.push(performance.now() - started);
    if (until() && latencies.length >= minimum) break;
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
  return latencies;
}

async function ingest(url: string, batch: number, requests: number): Promise<{ alertsPerSecond: number; healthP99: number }> {
  let next = 0;
  let done = false;
  const health = healthLatencies(url, () => done);
  const started = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      for (;;) {
        const index = next;
        next += 1;
        if (index >= requests) return;
        const answer = await post(`${url}/webhook/alerts`, body(alerts(batch, () => ({}))));
        if (answer.status !== 200) throw new Error(`webhook answered ${answer.status}: ${answer.text}`);
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  done = true;
  return { alertsPerSecond: (requests * batch) / seconds, healthP99: percentile(await health, 0.99) };
}

async function main() {
  console.log(`devops-agent bench — node ${process.version}, ${REQUESTS} requests per batch size, concurrency ${CONCURRENCY}, load average ${loadavg()[0]!.toFixed(1)}\n`);

  // 3. Memory after 100,000 alerts: the agent alone, as its own process (built dist/ when present).
  const memory = await agentProcess();
  const perRequest = 100;
  const rssStart = rssOf(memory.pid);
  await ingest(memory.url, perRequest, Math.ceil(TOTAL / perRequest));
  await new Promise((resolve) => setTimeout(resolve, 1000));
  const rssMb = rssOf(memory.pid);
  const incidentCount = ((await (await fetch(`${memory.url}/incidents?limit=500`)).json()) as { count: number }).count;
  console.log(`3. memory after ${TOTAL.toLocaleString('en')} alerts (${incidentCount} incidents): agent process RSS ${rssMb.toFixed(0)} MB (${rssStart.toFixed(0)} MB at start; ${memory.how})`);
  console.log(`   goal ≤ ${GOALS.rssMb} MB: ${verdict(rssMb <= GOALS.rssMb)}\n`);
  memory.stop();

  // 1. Ingest (safety mode: analysis runs, actions wait for approval; no gateway calls).
  // The agent runs as its own process (as in production); this process is the load generator.
  const ingestAgent = await agentProcess();
  let idleDone = false;
  const idleTimer = setTimeout(() => {
    idleDone = true;
  }, 1500);
  const idle = await healthLatencies(ingestAgent.url, () => idleDone, 300);
  clearTimeout(idleTimer);
  const idleP99 = percentile(idle, 0.99);
  await ingest(ingestAgent.url, 10, 200); // warm-up
  let cpuMark = cpuSecondsOf(ingestAgent.pid);
  const single = await ingest(ingestAgent.url, 1, REQUESTS);
  const singleCpu = cpuSecondsOf(ingestAgent.pid) - cpuMark;
  cpuMark = cpuSecondsOf(ingestAgent.pid);
  const ten = await ingest(ingestAgent.url, 10, REQUESTS);
  const tenCpu = cpuSecondsOf(ingestAgent.pid) - cpuMark;
  console.log(`1. webhook ingest (alerts persisted per second, over HTTP; agent: ${ingestAgent.how})`);
  console.log(`   batch 1:  ${single.alertsPerSecond.toFixed(0).padStart(7)} alerts/s (${(REQUESTS / singleCpu).toFixed(0)} per agent CPU-second)   /health p99 under load ${single.healthP99.toFixed(2)} ms`);
  console.log(`   batch 10: ${ten.alertsPerSecond.toFixed(0).padStart(7)} alerts/s (${((REQUESTS * 10) / tenCpu).toFixed(0)} per agent CPU-second)   /health p99 under load ${ten.healthP99.toFixed(2)} ms`);
  console.log(`   /health p99 idle (baseline): ${idleP99.toFixed(2)} ms → ratio under batch-10 load ${(ten.healthP99 / idleP99).toFixed(1)}×`);
  console.log(`   goal ≥ ${GOALS.alertsPerSecond} alerts/s in batches of 10: ${verdict(ten.alertsPerSecond >= GOALS.alertsPerSecond)}\n`);
  ingestAgent.stop();

  // 2. Decision latency: alert sent → gateway request received (rule analyzer, autonomous policy).
  // The services the loop below alerts on (one per decision, numbered on from here) are allowlisted: the agent runs nothing on its own the gateway's policy does not grant.
  const gateway = new ScriptedGateway({ token: 'bench', allowlist: Array.from({ length: DECISIONS + 20 }, (_, index) => `decision-${sequence + 1 + index}`) });
  await gateway.start();
  const decisionAgent = await agentWith({
    SAFETY_MODE: 'false',
    AUTO_ACTION_MIN_CONFIDENCE: '0',
    ACTION_COOLDOWN: '0',
    ACTION_RATE_LIMIT_PER_HOUR: '1000000',
    AI_COMMAND_GATEWAY_URL: gateway.url,
    MARKET_PREDICTOR_URL: 'http://127.0.0.1:9',
    VERIFICATION_WINDOW: '600',
    VERIFICATION_INTERVAL: '60',
  });
  const latencies: number[] = [];
  let decisionCpu = 0;
  for (let index = 0; index < DECISIONS + 20; index += 1) {
    const cpu = process.cpuUsage();
    const [alert] = alerts(1, (n) => ({ alertname: 'ServiceDown', service: `decision-${n}` }));
    const before = gateway.requests.length;
    const sent = performance.now();
    const response = await fetch(`${decisionAgent.url}/webhook/alerts`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: body([alert]) });
    await response.arrayBuffer();
    const deadline = Date.now() + 5000;
    while (gateway.requests.length === before && Date.now() < deadline) await new Promise((resolve) => setImmediate(resolve));
    const request = gateway.requests[before];
    if (!request) throw new Error('the gateway never received the restart request');
    if (index >= 20) {
      // the first 20 warm up
      latencies.push(request.receivedAt - sent);
      const used = process.cpuUsage(cpu);
      decisionCpu += (used.user + used.system) / 1000;
    }
  }
  const p50 = percentile(latencies, 0.5);
  const p99 = percentile(latencies, 0.99);
  console.log('2. decision latency, alert received → gateway request sent (rule path, local scripted gateway)');
  console.log(`   ${latencies.length} incidents: p50 ${p50.toFixed(2)} ms, p99 ${p99.toFixed(2)} ms, max ${Math.max(...latencies).toFixed(2)} ms; CPU ${(decisionCpu / latencies.length).toFixed(2)} ms per decision`);
  console.log(`   goal p99 ≤ ${GOALS.decisionP99Ms} ms: ${verdict(p99 <= GOALS.decisionP99Ms)}\n`);
  await decisionAgent.agent.close();
  await gateway.stop();

  for (const directory of directories) rmSync(directory, { recursive: true, force: true });
}

await main();
