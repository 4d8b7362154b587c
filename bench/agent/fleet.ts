/**
 * Fleet benchmark of the devops agent: one agent process polling SERVICES services (default
 * 200) every INTERVAL seconds (default 10), each a local stub answering `/health` (all stubs in
 * one child process, so their CPU is not the agent's). In one run: the agent's CPU while idle
 * with the same catalog (baseline, monitoring stopped), then while polling — CPU per 1,000
 * probes and as a share of one core — its RSS, and the lag between each probe's scheduled and
 * actual start (p50/p99/max over every probe since polling started).
 * Goals: p99 lag ≤ 500 ms; ≤ 5% of one core for 200 services every 10 s.
 *
 *   npx tsc --build apps/devops-agent
 *   npx tsx --conditions=@atb/source bench/agent/fleet.ts [--services 200] [--interval 10] [--seconds 60] [--idle 20] [--lease seconds] [--cpu-prof dir]
 *
 * `--cpu-prof dir` runs the agent under V8's sampling profiler and leaves its `.cpuprofile` in dir.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { DevopsAgentClient } from '@atb/clients';

const { values: args } = parseArgs({
  options: {
    services: { type: 'string', default: '200' },
    interval: { type: 'string', default: '10' },
    seconds: { type: 'string', default: '60' },
    idle: { type: 'string', default: '20' },
    lease: { type: 'string' },
    'cpu-prof': { type: 'string' },
  },
});
const SERVICES = Number(args.services);
const INTERVAL = Number(args.interval);
const SECONDS = Number(args.seconds);
const IDLE_SECONDS = Number(args.idle);
const GOALS = { lagP99Ms: 500, coreShare: 0.05 };
const TOKEN = 'bench-fleet-agent-token-0123456789';
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** CPU seconds (user + system) a process has used so far (Linux). */
function cpuSecondsOf(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** Resident memory of a process, in MB (Linux). */
function rssOf(pid: number): number {
  return Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? Number.NaN) / 1024;
}

/** Waits for a line of a child's stdout that `pattern` matches; answers the first group. */
async function lineOf(child: ChildProcess, pattern: RegExp, what: string): Promise<string> {
  let output = '';
  child.stdout?.on('data', (chunk) => {
    output += String(chunk);
  });
  for (let attempt = 0; attempt < 1200; attempt += 1) {
    const found = pattern.exec(output)?.[1];
    if (found) return found;
    await sleep(50);
  }
  throw new Error(`${what} did not start: ${output.slice(0, 2000)}`);
}

const directory = mkdtempSync(join(tmpdir(), 'bench-fleet-'));
const stubs = spawn(process.execPath, [fileURLToPath(new URL('./fleet-stubs.mjs', import.meta.url)), String(SERVICES)], { stdio: ['ignore', 'pipe', 'inherit'] });
let agent: ChildProcess | undefined;
try {
  const urls = JSON.parse(await lineOf(stubs, /^(\[.*\])$/m, 'the stub targets')) as string[];
  const file = join(directory, 'services.yaml');
  writeFileSync(file, `services:\n${urls.map((url, index) => `  - name: svc-${index}\n    health: { url: ${url}, interval_seconds: ${INTERVAL}, timeout_seconds: 2 }\n`).join('')}`);
  const built = fileURLToPath(new URL('../../apps/devops-agent/dist/src/main.js', import.meta.url));
  const source = fileURLToPath(new URL('../../apps/devops-agent/src/main.ts', import.meta.url));
  const useBuilt = existsSync(built);
  const profiler = args['cpu-prof'] ? ['--cpu-prof', `--cpu-prof-dir=${args['cpu-prof']}`] : [];
  agent = spawn(process.execPath, [...profiler, ...(useBuilt ? [built] : ['--conditions=@atb/source', '--import', 'tsx', source])], {
    env: {
      ...process.env,
      API_PORT: '0',
      LOG_LEVEL: 'info',
      DATA_DIR: directory,
      AI_COMMAND_GATEWAY_TOKEN: 'bench',
      AGENT_API_TOKEN: TOKEN,
      SERVICES_FILE: file,
      ...(args.lease ? { LEADER_LEASE_SECONDS: args.lease } : {}),
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const spawnedAt = performance.now();
  const url = await lineOf(agent, /"url":"(http:\/\/[^"]+)"/, 'the agent');
  const pid = agent.pid!;
  const client = new DevopsAgentClient({ baseUrl: url, timeoutMs: 10_000, token: TOKEN });
  console.log(`fleet: ${SERVICES} services every ${INTERVAL}s${args.lease ? `, LEADER_LEASE_SECONDS=${args.lease}` : ''}, ${useBuilt ? 'node dist/src/main.js' : 'node --import tsx src/main.ts (not built)'}, load average ${loadavg()[0]!.toFixed(1)}`);

  await sleep(3000); // start-up settles
  const idleStart = cpuSecondsOf(pid);
  const idleFrom = performance.now() - spawnedAt;
  await sleep(IDLE_SECONDS * 1000);
  const idleTo = performance.now() - spawnedAt;
  const idleCpu = cpuSecondsOf(pid) - idleStart;
  const idleShare = idleCpu / IDLE_SECONDS;

  await client.startMonitoring();
  // One whole interval first: every service has had its first (randomly placed) probe.
  await sleep(INTERVAL * 1000);
  const before = await client.monitoringStatus();
  const cyclesBefore = before.services.reduce((sum, service) => sum + service.cycles, 0);
  const cpuStart = cpuSecondsOf(pid);
  const started = performance.now();
  await sleep(SECONDS * 1000);
  const cpu = cpuSecondsOf(pid) - cpuStart;
  const wall = (performance.now() - started) / 1000;
  const pollingWindow = [started - spawnedAt, performance.now() - spawnedAt];
  const after = await client.monitoringStatus();
  const probes = after.services.reduce((sum, service) => sum + service.cycles, 0) - cyclesBefore;
  const failures = after.services.reduce((sum, service) => sum + service.failures, 0);
  const skipped = after.services.reduce((sum, service) => sum + service.skipped, 0);
  const share = cpu / wall;
  const lag = after.lag_ms;
  const rss = rssOf(pid);

  console.log(`| measure | result | goal | verdict |`);
  console.log(`|---|---|---|---|`);
  console.log(`| probes in ${wall.toFixed(0)} s | ${probes} (${(probes / wall).toFixed(1)}/s; failures ${failures}, skipped ${skipped}) | — | — |`);
  console.log(`| agent CPU per 1,000 probes | ${((cpu / probes) * 1000).toFixed(2)} s (idle baseline ${((idleShare * wall) / (probes / 1000)).toFixed(2)} s of it) | — | — |`);
  console.log(`| agent CPU, share of one core: polling / idle (same catalog, monitoring stopped) | ${(share * 100).toFixed(2)}% / ${(idleShare * 100).toFixed(2)}% | ≤ ${GOALS.coreShare * 100}% | ${share <= GOALS.coreShare ? 'PASS' : 'MISS'} |`);
  console.log(`| lag, scheduled → actual probe start (${lag.samples} probes) | p50 ${lag.p50?.toFixed(1)} ms, p99 ${lag.p99?.toFixed(1)} ms, max ${lag.max?.toFixed(1)} ms | p99 ≤ ${GOALS.lagP99Ms} ms | ${(lag.p99 ?? Number.POSITIVE_INFINITY) <= GOALS.lagP99Ms ? 'PASS' : 'MISS'} |`);
  console.log(`| agent RSS after the run | ${rss.toFixed(0)} MB | — | — |`);
  const seconds = (ms: number) => (ms / 1000).toFixed(1);
  if (args['cpu-prof']) console.log(`profile windows (s after spawn): idle ${seconds(idleFrom)}–${seconds(idleTo)}, polling ${seconds(pollingWindow[0]!)}–${seconds(pollingWindow[1]!)}`);
} finally {
  const exited = agent && agent.exitCode === null ? new Promise((resolve) => agent?.once('exit', resolve)) : Promise.resolve();
  agent?.kill('SIGTERM');
  stubs.kill('SIGTERM');
  await Promise.race([exited, sleep(10_000)]); // the profiler writes its file on exit
  await sleep(500);
  rmSync(directory, { recursive: true, force: true });
}
