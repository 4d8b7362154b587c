/**
 * Time to recovery on real Podman containers, the agent (SAFETY_MODE=false, container events
 * and polling on) side by side with Podman's own recovery, alternating run by run:
 *
 * - crash (the process exits 1): the agent vs `--restart=on-failure`;
 * - hang (the process stops answering): the agent's polling vs a healthcheck-driven restart
 *   (`--health-on-failure=restart`) with the same probe settings (every 1 s, 1 s timeout, a
 *   failure confirmed by a second check);
 * - memory leak (200 MiB/s into a 256 MiB limit: an OOM kill): the agent vs `--restart=on-failure`.
 *
 * For each run: fault → incident opened (detected), analysed, action executed, service
 * answering again (a new process answers /health healthy, measured here every 50 ms) and
 * verified (the agent's own verification). `--quiet-minutes N` then runs a healthy service for N
 * minutes with polling at its defaults and counts incidents and restarts (goal: zero).
 *
 *   npx tsx --conditions=@atb/source bench/mttr/mttr.ts [--runs 5] [--drills crash,hang,memory-leak] [--quiet-minutes 10] [--recheck-delay 0.5]
 */
import { randomBytes } from 'node:crypto';
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { ensureNodeBaseImage, freePort, type PodmanEngine, startPodman } from '@atb/testing';
import {
  buildPredictor,
  http,
  REPOSITORY_ROOT,
  type RunningGateway,
  type RunningService,
  startAgent,
  startGateway,
  waitForHealthy,
} from '../../apps/devops-agent/test/integration/e2e-stack.js';
import { driveHealthchecks, podman, runPredictor } from './containers.js';

const DRILLS = ['crash', 'hang', 'memory-leak'] as const;
type Drill = (typeof DRILLS)[number];
const { values: args } = parseArgs({
  options: {
    runs: { type: 'string', default: '5' },
    drills: { type: 'string', default: DRILLS.join(',') },
    'quiet-minutes': { type: 'string', default: '0' },
    /** HEALTH_RECHECK_DELAY of the agent in the drills; default: the agent's own default. */
    'recheck-delay': { type: 'string' },
  },
});
const runs = Number(args.runs);
const drills = args.drills.split(',').filter((drill): drill is Drill => (DRILLS as readonly string[]).includes(drill));
const quietMinutes = Number(args['quiet-minutes']);
const PROBE = { intervalSeconds: 1, timeoutSeconds: 1, retries: 2 };
const MEMORY_MB = 256;
const STOP_TIMEOUT_SECONDS = 3;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const median = (values: number[]) => {
  const sorted = values.filter(Number.isFinite).sort((a, b) => a - b);
  if (sorted.length === 0) return Number.NaN;
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
};
const seconds = (ms: number | undefined) => (ms === undefined || !Number.isFinite(ms) ? '   —' : (ms / 1000).toFixed(2).padStart(6));

interface Target {
  name: string;
  url: string;
}

async function startedAt(url: string): Promise<string | undefined> {
  try {
    const response = await fetch(`${url}/status`, { signal: AbortSignal.timeout(500) });
    return ((await response.json()) as { started_at?: string }).started_at;
  } catch {
    return undefined;
  }
}

/** Milliseconds from `since` until a process other than `before` answers /health healthy. */
async function answeringAgain(url: string, before: string, since: number, timeoutMs = 120_000): Promise<number> {
  while (Date.now() - since < timeoutMs) {
    const started = await startedAt(url);
    if (started !== undefined && started !== before) {
      const healthy = await fetch(`${url}/health`, { signal: AbortSignal.timeout(500) })
        .then(async (response) => response.ok && ((await response.json()) as { status?: string }).status === 'healthy')
        .catch(() => false);
      if (healthy) return Date.now() - since;
    }
    await sleep(50);
  }
  return Number.NaN;
}

async function injectFault(url: string, drill: Drill): Promise<void> {
  const [path, body] =
    drill === 'crash' ? ['/chaos/crash', { delay_ms: 0 }] : drill === 'hang' ? ['/chaos/hang', {}] : ['/chaos/memory-leak', { mb_per_second: 200, max_mb: 4000 }];
  await fetch(`${url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body), signal: AbortSignal.timeout(2000) }).catch(
    () => undefined,
  );
}

/** One fault on `target`; `answering` is measured here, the rest is read from the agent. */
async function runOnce(target: Target, drill: Drill): Promise<{ since: number; answering: number }> {
  await waitForHealthy(target.url, 60_000);
  const before = (await startedAt(target.url)) as string;
  const since = Date.now();
  await injectFault(target.url, drill);
  return { since, answering: await answeringAgain(target.url, before, since) };
}

interface AgentRun {
  detected?: number;
  analysed?: number;
  executed?: number;
  answering: number;
  verified?: number;
  incidents: number;
  /** The alert that opened it: which detector was first. */
  via?: string;
}

type Detail = {
  id: string;
  alertname: string;
  opened_at: string;
  state: string;
  timeline: { type: string; at: string }[];
  actions: { finished_at: string | null; verified_at: string | null; effective: boolean | null; operation: string }[];
};

/** The agent's incidents opened since `since`, once every one is resolved (or the time is up). */
async function settledIncidents(agent: RunningService, service: string, since: number, timeoutMs = 120_000): Promise<Detail[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { incidents } = (await http<{ incidents: { id: string; opened_at: string; state: string }[] }>(`${agent.url}/incidents?service=${service}&limit=50`)).body;
    const mine = incidents.filter((incident) => Date.parse(incident.opened_at) >= since - 1000);
    const done = mine.length > 0 && mine.every((incident) => ['resolved', 'escalated', 'failed'].includes(incident.state));
    if (done || Date.now() > deadline) return Promise.all(mine.map(async (incident) => (await http<Detail>(`${agent.url}/incidents/${incident.id}`)).body));
    await sleep(200);
  }
}

/**
 * One fault on a baseline container. For the hang, the healthcheck timer runs only during its
 * own run (it costs CPU the agent's runs should not pay), and the fault lands at a random phase.
 */
async function baselineRun(engine: PodmanEngine, target: Target, drill: Drill): Promise<number> {
  if (drill !== 'hang') return (await runOnce(target, drill)).answering;
  await waitForHealthy(target.url, 60_000);
  const driver = driveHealthchecks(engine, target.name, PROBE.intervalSeconds);
  try {
    await sleep(1500 + Math.random() * 1000);
    return (await runOnce(target, drill)).answering;
  } finally {
    await driver.stop();
  }
}

async function agentRun(agent: RunningService, target: Target, drill: Drill): Promise<AgentRun> {
  const { since, answering } = await runOnce(target, drill);
  const incidents = await settledIncidents(agent, target.name, since);
  const restarts = (incident: Detail) => incident.actions.find((candidate) => candidate.operation === 'restart' || candidate.operation === 'start');
  // The incident that restarted it (a leak also shows as a degraded /health: a second incident).
  const first = incidents.sort((left, right) => left.opened_at.localeCompare(right.opened_at)).find(restarts) ?? incidents[0];
  const at = (value: string | null | undefined) => (value ? Date.parse(value) - since : undefined);
  const action = first ? restarts(first) : undefined;
  return {
    detected: at(first?.opened_at),
    analysed: at(first?.timeline.find((event) => event.type === 'analysis-completed')?.at),
    executed: at(action?.finished_at),
    answering,
    verified: at(action?.verified_at),
    incidents: incidents.length,
    ...(first ? { via: first.alertname } : {}),
  };
}

async function setUp(engine: PodmanEngine) {
  const suffix = randomBytes(3).toString('hex');
  const make = async (role: string, extra: Partial<Parameters<typeof runPredictor>[1]>): Promise<Target> => {
    const port = await freePort();
    const name = `bench-mttr-${role}-${suffix}`;
    await runPredictor(engine, { name, port, repository: REPOSITORY_ROOT, memoryMb: MEMORY_MB, stopTimeoutSeconds: STOP_TIMEOUT_SECONDS, ...extra });
    return { name, url: `http://127.0.0.1:${port}` };
  };
  const watched = await make('agent', {});
  const policy = await make('policy', { restartOnFailure: true });
  const healthcheck = await make('healthcheck', { healthcheck: PROBE });
  for (const target of [watched, policy, healthcheck]) await waitForHealthy(target.url, 60_000);
  return { watched, policy, healthcheck, names: [watched.name, policy.name, healthcheck.name] };
}

async function startBenchAgent(gateway: RunningGateway, target: Target, environment: Record<string, string>): Promise<RunningService> {
  const agent = await startAgent({
    AI_COMMAND_GATEWAY_URL: gateway.url,
    AI_COMMAND_GATEWAY_TOKEN: gateway.token,
    MARKET_PREDICTOR_URL: target.url,
    MONITORED_SERVICE: target.name,
    SAFETY_MODE: 'false',
    GATEWAY_EVENTS: 'true',
    MONITORING_AUTOSTART: 'true',
    ACTION_COOLDOWN: '0',
    ACTION_RATE_LIMIT_PER_HOUR: '1000',
    CIRCUIT_FAILURE_THRESHOLD: '1000',
    INCIDENT_REOPEN_WINDOW: '0',
    VERIFICATION_INTERVAL: '0.2',
    LOG_LEVEL: 'error',
    ...environment,
  });
  for (let waited = 0; waited < 20_000; waited += 100) {
    const status = (await http<{ container_events: { connected?: boolean } }>(`${agent.url}/status`)).body;
    if (status.container_events.connected) break;
    await sleep(100);
  }
  return agent;
}

function report(drill: Drill, agentRuns: AgentRun[], baseline: number[], baselineName: string) {
  console.log(`\n${drill} — seconds from the fault (${runs} runs each, alternating)`);
  console.log('  run  detected analysed executed answering verified incidents | baseline answering | first alert');
  agentRuns.forEach((run, index) => {
    console.log(
      `  ${String(index + 1).padStart(3)}  ${seconds(run.detected)}   ${seconds(run.analysed)}   ${seconds(run.executed)}   ${seconds(run.answering)}   ${seconds(run.verified)}   ${String(run.incidents).padStart(3)}     |  ${seconds(baseline[index])}            | ${run.via ?? '—'}`,
    );
  });
  const agentMedian = median(agentRuns.map((run) => run.answering));
  const baselineMedian = median(baseline);
  const pick = (key: 'detected' | 'analysed' | 'executed' | 'verified') => seconds(median(agentRuns.map((run) => run[key] ?? Number.NaN)));
  console.log(
    `  med  ${pick('detected')}   ${pick('analysed')}   ${pick('executed')}   ${seconds(agentMedian)}   ${pick('verified')}         |  ${seconds(baselineMedian)}  (${baselineName})`,
  );
  console.log(`  agent / baseline (answering, medians): ${(agentMedian / baselineMedian).toFixed(2)}×`);
  return { agentMedian, baselineMedian };
}

async function drillRuns(engine: PodmanEngine, agent: RunningService, targets: Awaited<ReturnType<typeof setUp>>, drill: Drill) {
  const agentRuns: AgentRun[] = [];
  const baseline: number[] = [];
  for (let run = 0; run < runs; run += 1) {
    agentRuns.push(await agentRun(agent, targets.watched, drill));
    baseline.push(await baselineRun(engine, drill === 'hang' ? targets.healthcheck : targets.policy, drill));
    process.stdout.write('.');
  }
  return report(drill, agentRuns, baseline, drill === 'hang' ? 'healthcheck --health-on-failure=restart' : 'podman --restart=on-failure');
}

/** A healthy service for `minutes` with polling at its defaults: incidents opened and restarts sent. */
async function quietRun(gateway: RunningGateway, target: Target, minutes: number) {
  const agent = await startBenchAgent(gateway, target, { MONITORING_INTERVAL: '30', HEALTH_CHECK_TIMEOUT: '10', VERIFICATION_INTERVAL: '5' });
  const since = Date.now();
  try {
    await sleep(minutes * 60_000);
    const { incidents } = (await http<{ incidents: { opened_at: string }[] }>(`${agent.url}/incidents?limit=100`)).body;
    const actions = (await http<{ actions: unknown[] }>(`${agent.url}/actions?limit=100`)).body.actions;
    const monitoring = (await http<{ cycles: number; transient: number }>(`${agent.url}/monitoring/status`)).body;
    const opened = incidents.filter((incident) => Date.parse(incident.opened_at) >= since).length;
    console.log(`\nquiet run: ${minutes} min, polling at its defaults (30 s, 10 s timeout, re-check 0.5 s), events on`);
    console.log(`  health checks ${monitoring.cycles}, transient failures ${monitoring.transient}, incidents ${opened}, actions ${actions.length}`);
    return { opened, actions: actions.length };
  } finally {
    await agent.close();
  }
}

const engine = await startPodman();
await ensureNodeBaseImage(engine);
await buildPredictor();
const targets = await setUp(engine);
const gateway = await startGateway(engine, targets.watched.name);
console.log(`mttr: Podman ${await podman(engine, ['version', '--format', '{{.Server.Version}}'])}, load average ${loadavg()[0]!.toFixed(1)}, ${runs} runs per drill`);
console.log(
  `probe settings: every ${PROBE.intervalSeconds} s, ${PROBE.timeoutSeconds} s timeout, a failure confirmed by a second check (the agent re-checks after ${args['recheck-delay'] ? `${args['recheck-delay']} s` : 'HEALTH_RECHECK_DELAY, its default'})`,
);
const goals: string[] = [];
try {
  const agent = await startBenchAgent(gateway, targets.watched, {
    MONITORING_INTERVAL: String(PROBE.intervalSeconds),
    HEALTH_CHECK_TIMEOUT: String(PROBE.timeoutSeconds),
    HEALTH_RECHECK_TIMEOUT: String(PROBE.timeoutSeconds),
    ...(args['recheck-delay'] ? { HEALTH_RECHECK_DELAY: args['recheck-delay'] } : {}),
  });
  try {
    for (const drill of drills) {
      const { agentMedian, baselineMedian } = await drillRuns(engine, agent, targets, drill);
      if (drill === 'crash') goals.push(`crash: ${(agentMedian / baselineMedian).toFixed(2)}× the restart policy (goal ≤ 2×), ${seconds(agentMedian).trim()} s (goal ≤ 3 s)`);
      if (drill === 'hang') goals.push(`hang: ${(agentMedian / baselineMedian).toFixed(2)}× the healthcheck restart (goal ≤ 1.0×)`);
    }
  } finally {
    await agent.close();
  }
  if (quietMinutes > 0) {
    const quiet = await quietRun(gateway, targets.watched, quietMinutes);
    goals.push(`quiet: ${quiet.opened} incidents, ${quiet.actions} actions in ${quietMinutes} min (goal 0)`);
  }
  console.log(`\n${goals.join('\n')}`);
} finally {
  await gateway.close();
  for (const name of targets.names) await podman(engine, ['rm', '-f', '-t', '0', name]).catch(() => undefined);
}
process.exit(0);
