import { createHash } from 'node:crypto';
import type { Priority } from '@atb/contracts';
import type { AgentPorts } from '../composition/agent-ports.js';
import { usableCandidates } from '../analysis/evidence/usable-candidates.js';
import { rollbackGrant } from './rollback-grant.js';
import { READ_ONLY_OPERATIONS, type RunbookCandidate, runbookFor } from '../analysis/runbooks.js';
import { type EscalatePorts, escalateIncident } from '../escalation/escalate-incident.js';
import { runbooksOf } from '../catalog/service-catalog.js';
import { TERMINAL_STATES } from '../incidents/incident-target.js';
import { rankCandidates } from '../learning/candidate-ranking.js';
import type { Action, Incident, StoredAlert } from '../store/agent-store.js';
import { newActionId } from '../incidents/ids.js';
import { circuitOpen, evaluatePolicy, type PolicyDecision } from './action-policy.js';
import { learningStats } from '../learning/learning-stats.js';
import { admitService, decideWithGatewayPolicy, type GatewayAdmission, gatewayAdmits } from './service-admission.js';

/** The ports this stage uses. */
export type DecidePorts = Pick<
  AgentPorts,
  'actions' | 'audit' | 'catalog' | 'changes' | 'config' | 'gateway' | 'gatewayPolicy' | 'incidents' | 'jobs' | 'learning' | 'metrics' | 'runbooks' | 'wake'
> &
  EscalatePorts;

/** incident + operation + attempt → the key the gateway uses to execute an action at most once. */
export function idempotencyKey(incidentId: string, operation: string, attempt: number): string {
  return `devops-agent:${createHash('sha256').update(`${incidentId}:${operation}:${attempt}`).digest('hex').slice(0, 32)}`;
}

const INTENTS: Record<string, (target: string) => string> = {
  restart: (target) => `restart the ${target} container`,
  start: (target) => `start the ${target} container`,
  stop: (target) => `stop the ${target} container`,
  logs: (target) => `show the recent logs of the ${target} container`,
  inspect: (target) => `inspect the ${target} container`,
  stats: (target) => `show resource usage stats of the ${target} container`,
  list: () => 'list the containers',
  rollback: (target) => `roll back the ${target} container to its previous image`,
};

const priorityOf = (severity: string | undefined): Priority =>
  severity === 'critical' || severity === 'high' ? 'HIGH' : severity === 'low' ? 'LOW' : 'MEDIUM';

/** Candidates in the order to try them: the analysis' recommendations first, then the learning ranking. */
function orderCandidates(incident: Incident, ranked: RunbookCandidate[]): RunbookCandidate[] {
  const recommended = incident.analysis?.analysis.recommended_actions ?? [];
  const preferred: RunbookCandidate[] = [];
  for (const recommendation of recommended) {
    const candidate = ranked.find((entry) => entry.action === recommendation.action);
    if (candidate && !preferred.includes(candidate)) preferred.push(candidate);
  }
  return [...preferred, ...ranked.filter((candidate) => !preferred.includes(candidate))];
}

/**
 * Picks the incident's next action — the best-ranked runbook candidate not yet tried in this
 * episode — and lets the policy decide whether it runs on its own or waits for a human. With
 * nothing left to try, or the target's circuit open, the incident is escalated.
 */
export async function decideNextAction(
  dependencies: DecidePorts,
  incidentId: string,
  options: { completeJob?: number; known?: { incident: Incident; alerts: StoredAlert[] } } = {},
): Promise<void> {
  const { config, runbooks, audit } = dependencies;
  const incident = options.known?.incident ?? (await dependencies.incidents.get(incidentId));
  if (!incident || TERMINAL_STATES.has(incident.state)) return;
  const alerts = options.known?.alerts ?? (await dependencies.incidents.alerts(incident.id));
  const firing = alerts.filter((alert) => alert.status === 'firing');
  if (firing.length === 0) {
    await dependencies.jobs.enqueue([{ type: 'reconcile', payload: { incident_id: incident.id } }]);
    dependencies.wake();
    return;
  }
  const actions = await dependencies.actions.list({ incident_id: incident.id, limit: 1000 });
  if (actions.some((action) => ['pending', 'approved', 'running'].includes(action.status))) return; // one at a time
  const analysis = incident.analysis?.analysis;
  if (analysis && !analysis.issue_detected) {
    // The analyzer found nothing to fix (a false alarm, noise): act on nothing, say so, and let
    // the incident resolve with its alerts. A later firing re-analyses it.
    await dependencies.changes.commit({
      incident: { id: incident.id, patch: { state: 'open' }, expectStates: [incident.state] },
      events: [{ incident_id: incident.id, type: 'no-action-needed', data: { issue_type: analysis.issue_type, reason: analysis.description } }],
      ...(options.completeJob !== undefined ? { completeJob: options.completeJob } : {}),
      audit: [audit.entry('action-decided', incident.id, { decision: 'none', reason: 'analysis found no issue', issue_type: analysis.issue_type })],
    });
    return;
  }
  const admission = admitService(dependencies.catalog.list(), incident, alerts, config);
  if (!admission.ok) {
    await escalateIncident(dependencies, incident, admission.reason, options.completeJob !== undefined ? { completeJob: options.completeJob } : {});
    return;
  }
  const { entry, target } = admission;
  const runbook = runbookFor(runbooksOf(entry, runbooks), incident.analysis?.runbook, firing[0]!.labels);
  const stats = await learningStats(dependencies.learning, { alertname: incident.alertname, service: incident.service });
  const usable = usableCandidates(runbook?.candidates ?? [{ action: 'escalate', risk: 'low' }], incident.analysis?.evidence?.facts ?? []);
  const ordered = orderCandidates(incident, rankCandidates(usable, stats));
  const tried = new Set(actions.filter((action) => action.created_at >= incident.cycle_started_at).map((action) => action.operation));
  let next = ordered.find((candidate) => !tried.has(candidate.action));
  if (next?.action === 'rollback') {
    // Proposed only when the gateway grants it for this target and knows an earlier image.
    const grant = await rollbackGrant(dependencies.gateway, target, incident.id);
    if (!grant.granted) {
      await dependencies.changes.commit({ events: [{ incident_id: incident.id, type: 'action-skipped', data: { action: 'rollback', reason: grant.reason } }] });
      next = ordered.find((candidate) => !tried.has(candidate.action) && candidate.action !== 'rollback');
    }
  }
  const escalate = (reason: string, codeLevel: boolean) =>
    escalateIncident(dependencies, incident, reason, { codeLevel, ...(options.completeJob !== undefined ? { completeJob: options.completeJob } : {}) });

  if (!next || next.action === 'escalate') {
    const reason =
      tried.size > 0
        ? `tried ${[...tried].join(', ')} without recovery; nothing left in runbook ${runbook?.name ?? '(none)'}`
        : `runbook ${runbook?.name ?? '(none)'} says escalate`;
    await escalate(reason, next?.code_level ?? runbook?.code_level ?? false);
    return;
  }
  const admitted = gatewayAdmits(await dependencies.gatewayPolicy.current(), next.action, target, entry);
  if (!admitted.ok) {
    await dependencies.changes.commit({ events: [{ incident_id: incident.id, type: 'action-not-allowlisted', data: { operation: next.action, target, reason: admitted.reason } }] });
    await escalate(admitted.reason, false);
    return;
  }
  if (!READ_ONLY_OPERATIONS.has(next.action) && (await circuitOpen(dependencies.actions, config, target))) {
    await dependencies.changes.commit({ events: [{ incident_id: incident.id, type: 'circuit-open', data: { target } }] });
    await escalate(`circuit open for ${target}: ${config.CIRCUIT_FAILURE_THRESHOLD} failed or ineffective actions within ${config.CIRCUIT_WINDOW}s`, runbook?.code_level ?? false);
    return;
  }
  await proposeAction(dependencies, incident, { candidate: next, target, autonomous: entry.autonomous, admission: admitted }, options.completeJob);
}

/** The action a decision proposes: approved at once when the policy lets it run on its own, else pending with an approval deadline. */
function newAction(incident: Incident, next: RunbookCandidate, target: string, decision: PolicyDecision, config: DecidePorts['config']): Action {
  const confidence = incident.analysis?.analysis.confidence ?? 0;
  const attempt = incident.action_attempts + 1;
  const now = new Date().toISOString();
  return {
    id: newActionId(),
    incident_id: incident.id,
    operation: next.action,
    target,
    attempt,
    idempotency_key: idempotencyKey(incident.id, next.action, attempt),
    status: decision.automatic ? 'approved' : 'pending',
    risk: next.risk,
    confidence,
    intent: (INTENTS[next.action] ?? INTENTS.inspect!)(target),
    priority: priorityOf(incident.analysis?.analysis.severity),
    decided_by: decision.automatic ? 'policy' : 'pending',
    decision_reason: decision.reason,
    created_at: now,
    expires_at: decision.automatic ? null : new Date(Date.now() + config.APPROVAL_TTL * 1000).toISOString(),
    approved_by: decision.automatic ? 'policy' : null,
    approval_reason: decision.automatic ? decision.reason : null,
    started_at: null,
    finished_at: null,
    gateway_response: null,
    effective: null,
    verified_at: null,
    recovery_seconds: null,
    alertname: incident.alertname,
    service: incident.service,
  };
}

/** Lets the policy decide on the candidate, and records the action, its event, job and audit record in one change set. */
async function proposeAction(
  dependencies: DecidePorts,
  incident: Incident,
  proposal: { candidate: RunbookCandidate; target: string; autonomous: boolean; admission: GatewayAdmission },
  completeJob: number | undefined,
): Promise<void> {
  const { config, audit, metrics } = dependencies;
  const { candidate: next, target } = proposal;
  const confidence = incident.analysis?.analysis.confidence ?? 0;
  const decided = await evaluatePolicy(dependencies.actions, config, { operation: next.action, risk: next.risk, confidence, target, autonomous: proposal.autonomous });
  const decision = decideWithGatewayPolicy(decided, proposal.admission, next.action);
  const attempt = incident.action_attempts + 1;
  const action = newAction(incident, next, target, decision, config);
  const committed = await dependencies.changes.commit({
    audit: [
      audit.entry('action-decided', incident.id, {
        action_id: action.id,
        operation: action.operation,
        target,
        attempt,
        idempotency_key: action.idempotency_key,
        automatic: decision.automatic,
        reason: decision.reason,
        confidence,
        risk: action.risk,
      }),
    ],
    incident: {
      id: incident.id,
      patch: { state: decision.automatic ? 'remediating' : 'awaiting_approval', action_attempts: attempt },
      expectStates: [incident.state],
    },
    createAction: action,
    events: [
      {
        incident_id: incident.id,
        type: decision.automatic ? 'action-approved' : 'action-proposed',
        data: { action_id: action.id, operation: action.operation, target, risk: action.risk, confidence, decided_by: decision.automatic ? 'policy' : undefined, reason: decision.reason },
      },
    ],
    jobs: decision.automatic ? [{ type: 'execute-action', payload: { action_id: action.id }, dedupe_key: `execute:${action.id}` }] : [],
    ...(completeJob !== undefined ? { completeJob } : {}),
  });
  if (!committed) return;
  metrics.decisionLatency.observe(
    { decided_by: decision.automatic ? 'policy' : 'human-pending' },
    Math.max(0, (Date.now() - Date.parse(incident.last_fired_at)) / 1000),
  );
  if (decision.automatic) dependencies.wake();
}
