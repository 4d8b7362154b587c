import { DevopsAgentClient, PredictorClient, UpstreamRefusedError, UpstreamUnreachableError } from '@atb/clients';
import pc from 'picocolors';
import { type DrillFault, type FaultParameters, type FaultPlan, planFault } from './drill-faults.js';
import { watchAnswering } from './answer-watcher.js';
import { type DrillReport, type DrillStage, watchIncidents } from './incident-watcher.js';
import { startPredictionTraffic } from './prediction-traffic.js';

export interface DrillOptions {
  fault: DrillFault;
  parameters?: FaultParameters;
  /** The predictor, e.g. `http://127.0.0.1:8000`. */
  predictorUrl: string;
  /** The devops agent, e.g. `http://127.0.0.1:8001`. */
  agentUrl: string;
  /** The agent's API token (needed for reads only when it runs with AGENT_API_READ_AUTH=true). */
  agentToken?: string;
  /** The monitored service's name on incidents; default `market-predictor`. */
  service?: string;
  /** Give up after this long; default 300 s. */
  timeoutMs?: number;
  /** Default 250 ms. */
  pollIntervalMs?: number;
  /** Send /predict traffic during rate-based drills (errors, latency); default true. */
  traffic?: boolean;
  /** Narration lines; default: nothing is written. */
  write?: (line: string) => void;
  /** Also narrate every timeline event of the incidents (noun-verb types); default false. */
  verbose?: boolean;
  /** Every stage, in order, as it is seen (awaited). */
  onStage?: (stage: DrillStage) => void | Promise<void>;
  signal?: AbortSignal;
}

export interface DrillResult extends DrillReport {
  fault: DrillFault;
  /** Whether the agent runs in safety mode (from its /status), if it said so. */
  safety_mode: boolean | undefined;
  /** Traffic sent during the drill, when any. */
  traffic?: { sent: number; ok: number; failed: number };
}

/**
 * Injects `fault` into the running predictor through its chaos routes, then narrates the
 * devops agent's loop (incident, analysis, approval, action, verification, resolution)
 * stage by stage until the incident is closed or the time is up. Leftover faults are
 * cleared at the end (`DELETE /chaos`) when the predictor still answers.
 *
 * @example
 * const result = await runDrill({ fault: 'crash', predictorUrl, agentUrl, write: console.log });
 * // result.outcome === 'resolved'; result.stages[i].elapsed_ms
 */
export async function runDrill(options: DrillOptions): Promise<DrillResult> {
  const write = options.write ?? (() => {});
  const service = options.service ?? 'market-predictor';
  const plan = planFault(options.fault, options.parameters);

  const agent = new DevopsAgentClient({ baseUrl: options.agentUrl, token: options.agentToken, timeoutMs: 3000 });
  const predictor = new PredictorClient({ baseUrl: options.predictorUrl, timeoutMs: 3000 });
  const safetyMode = readSafetyMode(
    await agent.status().catch((error: unknown) => {
      throw new Error(`the devops agent does not answer at ${options.agentUrl}/status (${failure(error)}): start it first (atb up)`);
    }),
  );
  await predictor.health().catch((error: unknown) => {
    // Only an unreachable predictor stops the drill: an unhealthy one is what drills start from.
    if (error instanceof UpstreamUnreachableError) throw new Error(`the predictor does not answer at ${options.predictorUrl}/health (${error.message})`);
  });
  const active = await agent.listIncidents({ service, active: 'true' }).catch(() => undefined);
  if (active?.incidents.some((incident) => !TERMINAL.has(incident.state))) {
    write(pc.yellow(`note: ${service} already has an open incident; new alerts may join it instead of opening a new one`));
  }

  write(
    `${pc.bold(`drill: ${plan.fault}`)} — ${plan.description}; expected alert ${plan.expectedAlert}` +
      `${safetyMode === true ? pc.yellow(' (SAFETY_MODE on: actions wait for approval)') : ''}`,
  );
  const startedBefore = (await predictor.status().catch(() => undefined))?.started_at;
  const since = Date.now();
  await injectFault(new PredictorClient({ baseUrl: options.predictorUrl, timeoutMs: 5000 }), plan).catch((error: unknown) => {
    if (error instanceof UpstreamRefusedError && error.status === 404) {
      throw new Error(`${options.predictorUrl}${plan.path} does not exist: start the predictor with CHAOS_ENABLED=true to allow drills`);
    }
    throw new Error(`injecting ${plan.fault} failed: ${failure(error)}`);
  });

  const stages: DrillStage[] = [];
  const narrate = async (stage: DrillStage) => {
    stages.push(stage);
    write(formatStage(stage));
    await options.onStage?.(stage);
  };
  await narrate({ name: 'fault-injected', at: since, elapsed_ms: 0, detail: `POST ${plan.path} ${JSON.stringify(plan.body)}` });

  const traffic = plan.needsTraffic && options.traffic !== false ? startPredictionTraffic({ predictorUrl: options.predictorUrl }) : undefined;
  if (traffic) write(pc.dim('sending /predict traffic so that the rate-based alert has something to measure'));

  const answering = watchAnswering({
    predictorUrl: options.predictorUrl,
    startedBefore,
    onAnswering: (at, detail) => narrate({ name: 'service-answering', at, elapsed_ms: at - since, detail }),
  });
  let report: DrillReport;
  try {
    report = await watchIncidents({
      agent,
      service,
      since,
      timeoutMs: options.timeoutMs ?? 300_000,
      pollIntervalMs: options.pollIntervalMs,
      onStage: narrate,
      ...(options.verbose
        ? {
            onEvent: (incidentId: string, event: Record<string, unknown>) =>
              write(pc.dim(`          · ${String(event.type ?? 'event')} ${incidentId} ${summariseEvent(event)}`)),
          }
        : {}),
      onProblem: (message) => write(pc.yellow(`        ! ${message}`)),
      signal: options.signal,
    });
    // Resolved means verified healthy by the agent: the drill's own watch sees it a moment later.
    if (report.outcome === 'resolved') await answering.settle(5000);
  } finally {
    await answering.stop();
    const counts = await traffic?.stop();
    if (counts) write(pc.dim(`traffic: ${counts.sent} requests, ${counts.ok} ok, ${counts.failed} failed`));
  }

  const cleared = await new PredictorClient({ baseUrl: options.predictorUrl, timeoutMs: 2000 }).clearFaults().catch(() => undefined);
  const leftover = cleared?.cleared ?? [];
  if (leftover.length > 0) write(pc.dim(`cleared leftover faults: ${leftover.join(', ')}`));

  const result: DrillResult = {
    ...report,
    // In the order narrated: the fault, the agent's stages and the drill's own service-answering.
    stages,
    fault: plan.fault,
    safety_mode: safetyMode,
    ...(traffic ? { traffic: traffic.counts } : {}),
  };
  for (const line of formatSummary(result)) write(line);
  return result;
}

const TERMINAL = new Set(['resolved', 'escalated', 'failed']);

const failure = (error: unknown) => (error instanceof Error ? error.message : String(error));

/** Sends the fault's chaos request through the predictor's client. */
function injectFault(predictor: PredictorClient, plan: FaultPlan): Promise<unknown> {
  const body = plan.body as Record<string, number>;
  switch (plan.fault) {
    case 'crash':
      return predictor.crash(body);
    case 'hang':
      return predictor.hang();
    case 'memory-leak':
      return predictor.startMemoryLeak({ mb_per_second: body.mb_per_second ?? 0, max_mb: body.max_mb ?? 0 });
    case 'errors':
      return predictor.injectErrors({ rate: body.rate ?? 0 });
    case 'latency':
      return predictor.injectLatency({ ms: body.ms ?? 0, probability: body.probability ?? 1 });
  }
}

function readSafetyMode(status: Record<string, unknown>): boolean | undefined {
  for (const candidate of [status.safety_mode, (status.policy as Record<string, unknown> | undefined)?.safety_mode]) {
    if (typeof candidate === 'boolean') return candidate;
  }
  return undefined;
}

const STAGE_COLOURS: Partial<Record<DrillStage['name'], (text: string) => string>> = {
  'fault-injected': pc.red,
  'approval-requested': pc.yellow,
  'incident-resolved': pc.green,
  'incident-escalated': pc.yellow,
  'incident-failed': pc.red,
  'action-rejected': pc.red,
};

/** `+ 12.3s  incident-opened      <detail>` */
export function formatStage(stage: DrillStage): string {
  const paint = STAGE_COLOURS[stage.name] ?? pc.cyan;
  return `${pc.dim(`+${(stage.elapsed_ms / 1000).toFixed(1).padStart(6)}s`)}  ${paint(stage.name.padEnd(19))} ${stage.detail}`;
}

/** The closing lines: outcome, then the time of each stage and the gap from the one before. */
export function formatSummary(result: DrillResult): string[] {
  const paint = result.outcome === 'resolved' ? pc.green : result.outcome === 'escalated' ? pc.yellow : pc.red;
  const lines = [
    '',
    `${pc.bold('outcome:')} ${paint(result.outcome)} after ${(result.total_ms / 1000).toFixed(1)} s` +
      (result.incident_ids.length > 0 ? pc.dim(`  incidents: ${result.incident_ids.join(', ')}`) : ''),
  ];
  let previous = 0;
  for (const stage of [...result.stages].sort((left, right) => left.elapsed_ms - right.elapsed_ms)) {
    const gap = stage.elapsed_ms - previous;
    previous = stage.elapsed_ms;
    lines.push(
      `  ${stage.name.padEnd(19)} ${`${(stage.elapsed_ms / 1000).toFixed(1)} s`.padStart(8)}  ${pc.dim(`(+${(gap / 1000).toFixed(1)} s)`)}`,
    );
  }
  lines.push(...recoveryLines(result));
  if (result.outcome === 'timeout') {
    lines.push(pc.red('the loop did not finish in time: check `atb status`, the agent /incidents and Prometheus alerts'));
  }
  return lines;
}

/** The recovery stages a drill reports, each the first stage of these names seen. */
const RECOVERY: [string, DrillStage['name'][]][] = [
  ['detected', ['incident-opened']],
  ['analysed', ['analysis-completed']],
  ['action executed', ['action-finished']],
  ['service answering', ['service-answering']],
  ['verified', ['action-verified', 'incident-resolved']],
];

/** `recovery time:` then each recovery stage since the fault (— when not reached) and the total. */
export function recoveryLines(result: Pick<DrillResult, 'stages' | 'total_ms'>): string[] {
  const lines = ['', pc.bold('recovery time (since the fault):')];
  for (const [label, names] of RECOVERY) {
    const stage = names.map((name) => result.stages.find((candidate) => candidate.name === name)).find((found) => found !== undefined);
    lines.push(`  ${label.padEnd(19)} ${(stage ? `${(stage.elapsed_ms / 1000).toFixed(1)} s` : '—').padStart(8)}`);
  }
  lines.push(`  ${pc.bold('total'.padEnd(19))} ${`${(result.total_ms / 1000).toFixed(1)} s`.padStart(8)}`);
  return lines;
}

function summariseEvent(event: Record<string, unknown>): string {
  const data = event.data;
  if (!data || typeof data !== 'object') return '';
  const json = JSON.stringify(data);
  return json.length > 140 ? `${json.slice(0, 137)}...` : json;
}
