/**
 * Benchmark of the command gateway, on a real engine (Podman's Docker Engine API):
 *
 * 1. restart through the gateway (HTTP POST /execute-docker-command on loopback: auth, audit
 *    before and after, interpretation, validation, Engine API call) against a direct Docker
 *    Engine API restart (dockerode) of the same container, alternating, N rounds in one run.
 *    Goal: median(gateway) / median(direct) ≤ 1.10.
 * 2. dry-run throughput and latency (p50/p99) over a bounded loop on loopback, against
 *    `GET /health` of the same server as the baseline.
 *
 *   npx tsx --conditions=@atb/source bench/gateway/gateway.ts [--rounds 10] [--requests 2000] [--concurrency 8]
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import type { Service } from '@atb/service-kit';
import { freePort, type NodeContainer, runNodeContainer, startPodman, waitFor } from '@atb/testing';
import { buildCommandGateway } from '../../apps/command-gateway/src/app.js';
import { readConfig } from '../../apps/command-gateway/src/config.js';
import { DockerRuntime } from '../../apps/command-gateway/src/runtime/docker-runtime.js';

const GOAL_RATIO = 1.1;
const { values: args } = parseArgs({
  options: {
    rounds: { type: 'string', default: '10' },
    requests: { type: 'string', default: '2000' },
    concurrency: { type: 'string', default: '8' },
  },
});
const rounds = Number(args.rounds);
const requests = Number(args.requests);
const concurrency = Number(args.concurrency);

const median = (values: number[]) => percentile(values, 50);
function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[index] ?? Number.NaN;
}
const fixed = (value: number, digits = 1) => value.toFixed(digits);

const engine = await startPodman();
const name = `bench-gateway-${randomBytes(4).toString('hex')}`;
const port = await freePort();
const dataDirectory = mkdtempSync(join(tmpdir(), 'bench-gateway-'));
const token = randomBytes(24).toString('hex');
let container: NodeContainer | undefined;
let service: Service | undefined;

/** The service's own start time, once it answers; restarts are timed only while it is ready. */
async function serviceStartedAt(): Promise<string | undefined> {
  try {
    const response = await fetch(`http://127.0.0.1:${port}/`, { signal: AbortSignal.timeout(1000) });
    return ((await response.json()) as { started_at: string }).started_at;
  } catch {
    return undefined;
  }
}
async function ready(previous: string | undefined): Promise<string> {
  const startedAt = await waitFor(async () => {
    const value = await serviceStartedAt();
    return value !== undefined && value !== previous ? value : undefined;
  }, { timeoutMs: 30_000, intervalMs: 20, description: 'the container service to answer' });
  // PID 1 ignores SIGTERM until Node has installed its handler; let it settle.
  await new Promise((resolveWait) => setTimeout(resolveWait, 200));
  return startedAt;
}

const body = (intent: string, dryRun = false) =>
  JSON.stringify({
    source_id: 'devops-agent',
    target_resource: { name },
    action_request: { intent, context: 'benchmark', priority: 'MEDIUM' },
    dry_run: dryRun,
  });
async function post(payload: string): Promise<Record<string, unknown>> {
  const response = await fetch(`${baseUrl}/execute-docker-command`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: payload,
  });
  return (await response.json()) as Record<string, unknown>;
}

let baseUrl = '';
try {
  container = await runNodeContainer(engine, {
    name,
    appDirectory: resolve(import.meta.dirname, '../../apps/command-gateway/test/fixtures'),
    script: 'echo-server.mjs',
    env: { PORT: String(port) },
    stopTimeoutSeconds: 10,
  });
  const config = readConfig({
    DATA_DIR: dataDirectory,
    AI_COMMAND_GATEWAY_TOKEN: token,
    GATEWAY_ALLOWED_TARGETS: name,
    GATEWAY_RESTART_LIMIT: '10000',
    LOG_LEVEL: 'warn',
  });
  service = await buildCommandGateway(
    { ...config, API_PORT: 0 },
    { runtime: new DockerRuntime({ dockerHost: engine.dockerHost }), logger: false },
  );
  baseUrl = await service.listen();
  let startedAt = await ready(undefined);
  const viaGateway: number[] = [];
  const direct: number[] = [];
  const restartBody = body('restart the service');
  for (let round = 0; round < rounds; round++) {
    // Alternate which goes first, so drift affects both equally.
    const order = round % 2 === 0 ? (['gateway', 'direct'] as const) : (['direct', 'gateway'] as const);
    for (const which of order) {
      const started = performance.now();
      if (which === 'gateway') {
        const answer = await post(restartBody);
        if (answer.overall_status !== 'success') throw new Error(`gateway restart failed: ${JSON.stringify(answer)}`);
        viaGateway.push(performance.now() - started);
      } else {
        await engine.docker.getContainer(name).restart({ t: 10 });
        direct.push(performance.now() - started);
      }
      startedAt = await ready(startedAt);
    }
  }
  const ratio = median(viaGateway) / median(direct);

  // Dry runs: a bounded loop of `requests` requests over `concurrency` loopback connections.
  const dryBody = body('restart the service', true);
  const measure = async (send: () => Promise<unknown>) => {
    const latencies: number[] = [];
    let next = 0;
    const began = performance.now();
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (next < requests) {
          next += 1;
          const started = performance.now();
          await send();
          latencies.push(performance.now() - started);
        }
      }),
    );
    const seconds = (performance.now() - began) / 1000;
    return { perSecond: latencies.length / seconds, p50: percentile(latencies, 50), p99: percentile(latencies, 99) };
  };
  await measure(() => post(dryBody)); // warm-up
  const dryRun = await measure(() => post(dryBody));
  const health = await measure(() => fetch(`${baseUrl}/status`).then((response) => response.arrayBuffer()));

  console.log(`command gateway benchmark — ${rounds} alternating restart rounds on Podman (${engine.dockerHost})`);
  console.log('');
  console.log('| restart of the same container | median ms | p90 ms | min ms | max ms |');
  console.log('|---|---|---|---|---|');
  for (const [label, values] of [
    ['through the gateway (HTTP, audit, validation)', viaGateway],
    ['direct Docker Engine API (dockerode)', direct],
  ] as const) {
    console.log(
      `| ${label} | ${fixed(median(values))} | ${fixed(percentile(values, 90))} | ${fixed(Math.min(...values))} | ${fixed(Math.max(...values))} |`,
    );
  }
  console.log('');
  console.log(`ratio gateway/direct (medians): ${fixed(ratio, 3)} — goal ≤ ${GOAL_RATIO}: ${ratio <= GOAL_RATIO ? 'met' : 'NOT met'}`);
  console.log('');
  console.log(`| ${requests} requests, ${concurrency} connections | requests/s | p50 ms | p99 ms |`);
  console.log('|---|---|---|---|');
  console.log(`| POST /execute-docker-command dry_run | ${fixed(dryRun.perSecond, 0)} | ${fixed(dryRun.p50, 2)} | ${fixed(dryRun.p99, 2)} |`);
  console.log(`| GET /status (baseline: same server, no audit) | ${fixed(health.perSecond, 0)} | ${fixed(health.p50, 2)} | ${fixed(health.p99, 2)} |`);
} finally {
  await service?.close();
  await container?.remove();
  rmSync(dataDirectory, { recursive: true, force: true });
  await engine.close();
}
