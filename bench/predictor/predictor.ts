/**
 * Benchmark of the market-predictor: throughput and latency of `POST /predict` (a realistic
 * 250-price body) against the bare `GET /health` of the same server, measured in one run,
 * with the server's peak resident memory.
 *
 *   npx tsx bench/predictor/predictor.ts [--seconds 5] [--connections 32] [--prices 250]
 *
 * The server runs as its own process, built and started as `npm start` does
 * (`tsc --build apps/market-predictor`, then `node dist/src/main.js`), so the load generator
 * does not share its event loop. Goal: predict/health throughput ratio ≥ 0.5.
 */
import { spawn, spawnSync } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { Agent, request } from 'node:http';
import { createServer } from 'node:net';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';

const GOAL_RATIO = 0.5;
const ROUNDS = 4;
/** USER_HZ: Linux reports process CPU times in 1/100 s on every common architecture. */
const CLOCK_TICKS_PER_SECOND = 100;
const REPOSITORY_ROOT = resolve(import.meta.dirname, '../..');

const { values: args } = parseArgs({
  options: {
    seconds: { type: 'string', default: '5' },
    connections: { type: 'string', default: '32' },
    prices: { type: 'string', default: '250' },
  },
});
const seconds = Number(args.seconds);
const connections = Number(args.connections);
const priceCount = Number(args.prices);
for (const [name, value] of [['seconds', seconds], ['connections', connections], ['prices', priceCount]] as const) {
  if (!Number.isFinite(value) || value <= 0) throw new Error(`--${name} must be a positive number, got ${value}`);
}

interface Target {
  name: string;
  method: 'GET' | 'POST';
  path: string;
  body?: Buffer;
}

/** What one measuring pass saw; passes of the same route are merged. */
interface Measurement {
  latencies: number[];
  failures: number;
  elapsedSeconds: number;
  /** Server CPU time (user + system) spent during the pass. */
  serverCpuSeconds: number;
  peakRssBytes: number;
}

interface Result {
  name: string;
  requests: number;
  failures: number;
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  /** Server CPU per answered request: what the route costs, whatever else runs on the machine. */
  serverCpuMicroseconds: number;
  peakRssBytes: number;
}

function summarize(name: string, measurements: Measurement[]): Result {
  const latencies = measurements.flatMap((measurement) => measurement.latencies).sort((a, b) => a - b);
  const elapsedSeconds = measurements.reduce((sum, measurement) => sum + measurement.elapsedSeconds, 0);
  return {
    name,
    requests: latencies.length,
    failures: measurements.reduce((sum, measurement) => sum + measurement.failures, 0),
    requestsPerSecond: latencies.length / elapsedSeconds,
    p50Ms: percentile(latencies, 0.5),
    p99Ms: percentile(latencies, 0.99),
    serverCpuMicroseconds:
      (measurements.reduce((sum, measurement) => sum + measurement.serverCpuSeconds, 0) / latencies.length) * 1e6,
    peakRssBytes: Math.max(...measurements.map((measurement) => measurement.peakRssBytes)),
  };
}

/** A random walk around 100, as a price series looks. */
function priceSeries(count: number): number[] {
  const prices: number[] = [];
  let price = 100;
  for (let index = 0; index < count; index += 1) {
    price = Math.max(1, price * (1 + (Math.random() - 0.5) * 0.02));
    prices.push(Math.round(price * 100) / 100);
  }
  return prices;
}

async function residentBytes(pid: number, field: 'VmRSS' | 'VmHWM'): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status);
  return match ? Number(match[1]) * 1024 : 0;
}

/** user + system CPU seconds of `pid` so far (/proc/<pid>/stat fields 14 and 15, in 1/100 s). */
async function cpuSeconds(pid: number): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
  // The command name (field 2) may contain spaces; count fields after its closing parenthesis.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS_PER_SECOND;
}

/** A loopback port nobody listens on right now (the kernel's pick). */
function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const probe = createServer();
    probe.once('error', fail);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      probe.close(() => done(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

async function waitUntilHealthy(url: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const healthy = await fetch(`${url}/health`).then(
      (response) => response.ok,
      () => false,
    );
    if (healthy) return;
    await new Promise((done) => setTimeout(done, 100));
  }
  throw new Error(`the predictor did not answer ${url}/health within ${timeoutMs} ms`);
}

function percentile(sorted: number[], fraction: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(fraction * sorted.length))] as number;
}

/** `connections` keep-alive loops, each sending the next request as soon as the last is answered. */
async function drive(port: number, target: Target, durationMs: number, pid: number): Promise<Measurement> {
  const agent = new Agent({ keepAlive: true, maxSockets: connections });
  const latencies: number[] = [];
  let failures = 0;
  let peakRssBytes = 0;
  const sampler = setInterval(() => {
    residentBytes(pid, 'VmRSS').then((bytes) => {
      peakRssBytes = Math.max(peakRssBytes, bytes);
    }, () => {});
  }, 100);
  const send = () =>
    new Promise<void>((done) => {
      const started = process.hrtime.bigint();
      const outgoing = request(
        {
          host: '127.0.0.1',
          port,
          method: target.method,
          path: target.path,
          agent,
          headers: target.body ? { 'content-type': 'application/json', 'content-length': target.body.length } : {},
        },
        (response) => {
          response.resume();
          response.on('end', () => {
            if (response.statusCode === 200) latencies.push(Number(process.hrtime.bigint() - started) / 1e6);
            else failures += 1;
            done();
          });
        },
      );
      outgoing.on('error', () => {
        failures += 1;
        done();
      });
      outgoing.end(target.body);
    });
  const cpuBefore = await cpuSeconds(pid);
  const deadline = performance.now() + durationMs;
  const startedAt = performance.now();
  await Promise.all(
    Array.from({ length: connections }, async () => {
      while (performance.now() < deadline) await send();
    }),
  );
  const elapsedSeconds = (performance.now() - startedAt) / 1000;
  const serverCpuSeconds = (await cpuSeconds(pid)) - cpuBefore;
  clearInterval(sampler);
  agent.destroy();
  return { latencies, failures, elapsedSeconds, serverCpuSeconds, peakRssBytes };
}

const build = spawnSync('npx', ['tsc', '--build', 'apps/market-predictor'], { cwd: REPOSITORY_ROOT, encoding: 'utf8' });
if (build.status !== 0) throw new Error(`tsc --build apps/market-predictor failed:\n${build.stdout}${build.stderr}`);

const port = await freePort();
const server = spawn(process.execPath, ['apps/market-predictor/dist/src/main.js'], {
  cwd: REPOSITORY_ROOT,
  env: { PATH: process.env.PATH ?? '', API_HOST: '127.0.0.1', API_PORT: String(port), LOG_LEVEL: 'warn', ENVIRONMENT: 'production' },
  stdio: ['ignore', 'inherit', 'inherit'],
});
const serverPid = server.pid;
if (serverPid === undefined) throw new Error('could not start the predictor');
const exited = new Promise<void>((done) => server.once('exit', () => done()));

try {
  await waitUntilHealthy(`http://127.0.0.1:${port}`, 30_000);
  const body = Buffer.from(JSON.stringify({ symbol: 'BENCH', prices: priceSeries(priceCount), horizon: 1 }));
  const predict: Target = { name: `POST /predict (${priceCount} prices, ${body.length} B)`, method: 'POST', path: '/predict', body };
  const health: Target = { name: 'GET /health', method: 'GET', path: '/health' };

  // Warm up both routes (JIT, connection pool), then measure each in turn.
  await drive(port, health, 1000, serverPid);
  await drive(port, predict, 1000, serverPid);
  // Alternate the routes in ROUNDS passes so that a change in the machine's load (other
  // processes) weighs on both alike.
  const passMs = (seconds * 1000) / ROUNDS;
  const healthPasses: Measurement[] = [];
  const predictPasses: Measurement[] = [];
  for (let round = 0; round < ROUNDS; round += 1) {
    healthPasses.push(await drive(port, health, passMs, serverPid));
    predictPasses.push(await drive(port, predict, passMs, serverPid));
  }
  const healthResult = summarize(health.name, healthPasses);
  const predictResult = summarize(predict.name, predictPasses);
  const peakRss = await residentBytes(serverPid, 'VmHWM');

  const mib = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
  const rows = [healthResult, predictResult].map((result) => ({
    route: result.name,
    'req/s': Math.round(result.requestsPerSecond),
    'p50 ms': result.p50Ms.toFixed(2),
    'p99 ms': result.p99Ms.toFixed(2),
    'server CPU µs/req': Math.round(result.serverCpuMicroseconds),
    requests: result.requests,
    failures: result.failures,
    'peak RSS': mib(result.peakRssBytes),
  }));
  const ratio = predictResult.requestsPerSecond / healthResult.requestsPerSecond;
  console.log(
    `\nmarket-predictor bench: ${connections} keep-alive connections, ${seconds} s per route in ${ROUNDS} alternating passes, Node ${process.version}\n`,
  );
  console.table(rows);
  console.log(`server peak RSS over the whole run (VmHWM): ${mib(peakRss)}`);
  const costRatio = healthResult.serverCpuMicroseconds / predictResult.serverCpuMicroseconds;
  console.log(
    `server CPU cost ratio health/predict: ${costRatio.toFixed(2)} (the throughput ratio a CPU-bound server would reach; less sensitive to other load on the machine)`,
  );
  console.log(
    `throughput ratio predict/health: ${ratio.toFixed(2)} (goal ≥ ${GOAL_RATIO}) → ${ratio >= GOAL_RATIO ? 'PASS' : 'MISS'}`,
  );
  if (predictResult.failures > 0 || healthResult.failures > 0) {
    console.log('some requests failed: the figures above count successful answers only');
  }
} finally {
  server.kill('SIGTERM');
  await exited;
}
