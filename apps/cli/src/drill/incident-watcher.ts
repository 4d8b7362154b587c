import type { DevopsAgentClient } from '@atb/clients';
import type { ActionView, IncidentDetail } from '@atb/contracts';

/**
 * Watches the devops agent's incidents through its client (`GET /incidents`,
 * `GET /incidents/:id` with the timeline and actions) and reports each stage of the loop
 * once, with its time since the fault was injected: incident opened → analysis →
 * approval requested → approved → action started → action finished → verified →
 * resolved (or escalated, failed). (`service-answering` is the drill's own observation.) Used by `atb drill` and by the end-to-end tests.
 */

export const DRILL_STAGES = [
  'fault-injected',
  'incident-opened',
  'analysis-completed',
  'approval-requested',
  'action-approved',
  'action-rejected',
  'action-started',
  'action-finished',
  'action-verified',
  'service-answering',
  'incident-resolved',
  'incident-escalated',
  'incident-failed',
] as const;
export type DrillStageName = (typeof DRILL_STAGES)[number];

export interface DrillStage {
  name: DrillStageName;
  /** Epoch milliseconds: the agent's own timestamp when it has one, else when it was seen. */
  at: number;
  /** Milliseconds since the fault was injected. */
  elapsed_ms: number;
  incident_id?: string;
  action_id?: string;
  /** One line for humans. */
  detail: string;
  /** The record the stage was read from. */
  data?: Record<string, unknown>;
}

export type DrillOutcome = 'resolved' | 'escalated' | 'failed' | 'timeout' | 'aborted';

export interface DrillReport {
  outcome: DrillOutcome;
  /** Incidents of the service opened (or re-opened) since the fault. */
  incident_ids: string[];
  stages: DrillStage[];
  /** Milliseconds from the fault to the outcome. */
  total_ms: number;
}

export interface WatchOptions {
  /** The devops agent's client (with its token when reads need one). */
  agent: DevopsAgentClient;
  /** The monitored service's name on incidents (`market-predictor`). */
  service: string;
  /** Epoch milliseconds the fault was injected; incidents opened before it are not this drill's. */
  since: number;
  /** Give up after this long (milliseconds from `since`). */
  timeoutMs: number;
  /** Default 250 ms. */
  pollIntervalMs?: number;
  /** Called once per stage, in order; awaited (a test approves the action from here). */
  onStage?: (stage: DrillStage) => void | Promise<void>;
  /** Called once per new timeline event of a watched incident. */
  onEvent?: (incidentId: string, event: Record<string, unknown>) => void;
  /** Called when the agent cannot be reached (at most once per distinct error). */
  onProblem?: (message: string) => void;
  signal?: AbortSignal;
}

const TERMINAL_STATES = new Set(['resolved', 'escalated', 'failed']);
/** Clock tolerance when deciding whether an incident belongs to this drill. */
const SKEW_MS = 1000;

type Json = Record<string, unknown>;

const failure = (error: unknown) => (error instanceof Error ? error.message : String(error));

/** Watches until every incident of this drill is resolved, escalated or failed, or the time is up. */
export async function watchIncidents(options: WatchOptions): Promise<DrillReport> {
  const pollInterval = options.pollIntervalMs ?? 250;
  const stages: DrillStage[] = [];
  const seenStages = new Set<string>();
  const seenEvents = new Set<string>();
  const watched: string[] = [];
  const problems = new Set<string>();

  const emit = async (stage: Omit<DrillStage, 'elapsed_ms'>, key: string) => {
    if (seenStages.has(key)) return;
    seenStages.add(key);
    const full: DrillStage = { ...stage, elapsed_ms: Math.max(0, stage.at - options.since) };
    stages.push(full);
    await options.onStage?.(full);
  };
  const problem = (message: string) => {
    if (problems.has(message)) return;
    problems.add(message);
    options.onProblem?.(message);
  };

  const finish = (outcome: DrillOutcome): DrillReport => ({
    outcome,
    incident_ids: [...watched],
    stages,
    total_ms: Date.now() - options.since,
  });

  for (;;) {
    if (options.signal?.aborted) return finish('aborted');
    try {
      const { incidents } = await options.agent.listIncidents({ service: options.service });
      for (const incident of incidents) {
        if (watched.includes(incident.id) || incident.service !== options.service) continue;
        const cycleStart = time(incident.cycle_started_at) ?? time(incident.opened_at);
        if (cycleStart === undefined || cycleStart < options.since - SKEW_MS) continue;
        watched.push(incident.id);
      }
    } catch (error) {
      problem(`GET /incidents: ${failure(error)}`);
    }

    const states: string[] = [];
    for (const id of watched) {
      const state = await observeIncident(id);
      if (state) states.push(state);
    }
    if (watched.length > 0 && states.length === watched.length && states.every((state) => TERMINAL_STATES.has(state))) {
      const outcome: DrillOutcome = states.includes('failed')
        ? 'failed'
        : states.includes('escalated')
          ? 'escalated'
          : 'resolved';
      return finish(outcome);
    }
    if (Date.now() - options.since > options.timeoutMs) return finish('timeout');
    await sleep(pollInterval, options.signal);
  }

  async function observeIncident(id: string): Promise<string | undefined> {
    let incident: IncidentDetail;
    try {
      incident = await options.agent.getIncident(id);
    } catch (error) {
      problem(`GET /incidents/${id}: ${failure(error)}`);
      return undefined;
    }
    const events: Json[] = incident.timeline;
    const now = Date.now();
    const state = incident.state;

    for (const event of incident.timeline) {
      if ((time(event.at) ?? now) < options.since - SKEW_MS) continue;
      const key = `${id}:${event.id}`;
      if (seenEvents.has(key)) continue;
      seenEvents.add(key);
      options.onEvent?.(id, event);
    }

    const title = text(incident.title) ?? text(incident.alertname) ?? 'incident';
    await emit(
      {
        name: 'incident-opened',
        at: time(incident.cycle_started_at) ?? time(incident.opened_at) ?? now,
        incident_id: id,
        detail: `${title} (${text(incident.alertname) ?? '?'}, severity ${text(incident.severity) ?? '?'})`,
        data: incident,
      },
      `opened:${id}`,
    );

    // A re-opened incident still shows its previous analysis until the new one is done: only
    // an analysis event of this drill counts.
    const analysis = incident.analysis;
    const analysedAt = eventTime(events, /^analysis-(completed|finished)$/, options.since - SKEW_MS);
    if (analysis && analysedAt !== undefined) {
      const result = analysis.analysis;
      const confidence = ` confidence ${result.confidence.toFixed(2)}`;
      const analyzer = analysis.analyzer;
      await emit(
        {
          name: 'analysis-completed',
          at: analysedAt ?? now,
          incident_id: id,
          detail: `${result.issue_type}:${confidence}${analyzer ? ` (${analyzer})` : ''} — ${result.root_cause || result.description}`.trim(),
          data: analysis,
        },
        `analysis:${id}`,
      );
    }

    for (const action of incident.actions) {
      // Actions of an earlier episode of a re-opened incident are not this drill's.
      if ((time(action.created_at) ?? now) < options.since - SKEW_MS) continue;
      await observeAction(id, action, now);
    }

    if (TERMINAL_STATES.has(state)) {
      const name: DrillStageName =
        state === 'resolved' ? 'incident-resolved' : state === 'escalated' ? 'incident-escalated' : 'incident-failed';
      const reason = text(incident.escalation_reason);
      await emit(
        {
          name,
          at: (state === 'resolved' ? time(incident.resolved_at) : undefined) ?? time(incident.updated_at) ?? now,
          incident_id: id,
          detail: `${title}: ${state}${reason ? ` — ${reason}` : ''}`,
          data: incident,
        },
        `terminal:${id}:${state}:${text(incident.cycle_started_at) ?? ''}`,
      );
    }
    return state;
  }

  async function observeAction(incidentId: string, action: ActionView, now: number): Promise<void> {
    const { id, status, operation, target } = action;
    const base = { incident_id: incidentId, action_id: id, data: action };
    const label = `${operation} ${target}`.trim();

    const approvedBy = action.approved_by;
    const decidedByPolicy = action.decided_by === 'policy' || approvedBy === 'policy';
    const refused = status === 'rejected' || status === 'expired' || status === 'cancelled';
    if (status === 'pending' || (!decidedByPolicy && (approvedBy || refused))) {
      await emit(
        {
          ...base,
          name: 'approval-requested',
          at: time(action.created_at) ?? now,
          detail: `${label} waits for approval: atb approve ${id}  (or atb reject ${id})`,
        },
        `approval-requested:${id}`,
      );
    }
    // A rejection records its actor in approved_by too: only a real approval is one.
    if (approvedBy && !decidedByPolicy && !refused && status !== 'pending') {
      const reason = action.approval_reason;
      await emit(
        {
          ...base,
          name: 'action-approved',
          at: time(action.started_at) ?? now,
          detail: `${label} approved by ${approvedBy}${reason ? ` (${reason})` : ''}`,
        },
        `approved:${id}`,
      );
    }
    if (refused) {
      const by = approvedBy ? ` by ${approvedBy}` : '';
      const reason = action.approval_reason;
      await emit(
        { ...base, name: 'action-rejected', at: time(action.finished_at) ?? now, detail: `${label} ${status}${by}${reason ? ` (${reason})` : ''}` },
        `rejected:${id}`,
      );
    }
    const startedAt = time(action.started_at);
    if (startedAt !== undefined || status === 'running') {
      const decided = action.decided_by === 'policy' ? ' on its own (policy)' : '';
      await emit({ ...base, name: 'action-started', at: startedAt ?? now, detail: `${label} sent to the gateway${decided}` }, `started:${id}`);
    }
    if (status === 'succeeded' || status === 'failed') {
      const response = action.gateway_response ?? {};
      const details = isObject(response.execution_details) ? response.execution_details : {};
      const command = text(details.command);
      const overall = text(response.overall_status) ?? status;
      const took = typeof details.execution_time_ms === 'number' ? ` in ${Math.round(details.execution_time_ms)} ms` : '';
      await emit(
        {
          ...base,
          name: 'action-finished',
          at: time(action.finished_at) ?? now,
          detail: `${label}: ${overall}${took}${command ? ` — ${command}` : ''}`,
        },
        `finished:${id}`,
      );
    }
    if (action.effective !== null) {
      const recovery = action.recovery_seconds === null ? '' : `, recovered ${action.recovery_seconds.toFixed(1)} s after the alert`;
      await emit(
        {
          ...base,
          name: 'action-verified',
          at: time(action.verified_at) ?? now,
          detail: `${label} verified ${action.effective ? 'effective' : 'INEFFECTIVE'}${recovery}`,
        },
        `verified:${id}`,
      );
    }
  }
}

/** The time of the latest event of `type` at or after `since`, if any. */
function eventTime(events: Json[] | undefined, type: RegExp, since: number): number | undefined {
  let latest: number | undefined;
  for (const event of events ?? []) {
    const at = time(event.at);
    if (at === undefined || at < since || !type.test(text(event.type) ?? '')) continue;
    if (latest === undefined || at > latest) latest = at;
  }
  return latest;
}

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function text(value: unknown): string | undefined {
  if (typeof value === 'string' && value.length > 0) return value;
  if (typeof value === 'number') return String(value);
  return undefined;
}

function time(value: unknown): number | undefined {
  if (typeof value !== 'string' || value.length === 0) return undefined;
  const parsed = Date.parse(value);
  return Number.isNaN(parsed) ? undefined : parsed;
}

function sleep(milliseconds: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    // One listener per sleep, removed when the sleep ends: a long drill polls thousands of times.
    const onAbort = () => {
      clearTimeout(timer);
      resolve();
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, milliseconds);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
