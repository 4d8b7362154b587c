import type { AgentPorts } from '../composition/agent-ports.js';
import { runbookFor } from '../analysis/runbooks.js';
import { runbooksOf } from '../catalog/service-catalog.js';
import { secondsBetween, TERMINAL_STATES } from '../incidents/incident-target.js';
import { isHealthy, probeHealth } from '../monitoring/health-probe.js';
import { circuitOpen } from '../policy/action-policy.js';
import { codingRequirement } from '../escalation/escalate-incident.js';
import { ACTIVE_STATES, type CodingTaskRecord, type Incident } from '../store/agent-store.js';

/** The ports this stage uses. */
export type VerifyActionPorts = Pick<AgentPorts, 'actions' | 'audit' | 'catalog' | 'changes' | 'config' | 'incidents' | 'metrics' | 'runbooks' | 'wake'>;

/**
 * Job `verify-action`: after a remediation, did the incident clear within the verification
 * window? Effective when every alert resolved — or, for runbooks verified by health, when the
 * target answers healthy again. Effective resolves the incident (once its alerts resolved);
 * ineffective counts against the target's circuit and moves on to the next candidate.
 */
export async function verifyAction(dependencies: VerifyActionPorts, payload: { action_id: string; deadline: string }, jobId: number): Promise<void> {
  const { audit, config, runbooks, metrics } = dependencies;
  const action = await dependencies.actions.get(payload.action_id);
  if (!action || action.effective !== null || action.status !== 'succeeded') return;
  const incident = await dependencies.incidents.get(action.incident_id);
  if (!incident || TERMINAL_STATES.has(incident.state)) return;
  const alerts = await dependencies.incidents.alerts(incident.id);
  const firing = alerts.filter((alert) => alert.status === 'firing');
  const labels = (firing[0] ?? alerts[0])?.labels ?? {};
  const entry = dependencies.catalog.match(labels);
  const runbook = runbookFor(runbooksOf(entry, runbooks), incident.analysis?.runbook, labels);
  let evidence: string | undefined;
  if (firing.length === 0) evidence = 'every alert resolved';
  else if (runbook?.verify === 'health' && entry?.health) {
    const reading = await probeHealth(entry.health.url, entry.health.timeout_seconds * 1000);
    if (isHealthy(reading, entry.health.expected_status)) evidence = `health is back (${reading.status} in ${reading.response_time_ms} ms)`;
  }
  const now = new Date().toISOString();
  if (evidence) {
    const recovery = secondsBetween(incident.cycle_started_at, now);
    const resolve = firing.length === 0;
    // A rollback removes the symptom, not the bug in the newer image: the code fix is still asked for.
    const codingTask = action.operation === 'rollback' && incident.coding_task === null ? pendingCodingTask(incident, entry?.repository ?? config.CODING_TASK_REPOSITORY, now) : undefined;
    const patch = { ...(resolve ? { state: 'resolved' as const, resolved_at: now } : {}), ...(codingTask ? { coding_task: codingTask } : {}) };
    const committed = await dependencies.changes.commit({
      updateAction: { id: action.id, patch: { effective: true, verified_at: now, recovery_seconds: recovery }, expectStatuses: ['succeeded'], expectUnverified: true },
      ...(Object.keys(patch).length > 0 ? { incident: { id: incident.id, patch, expectStates: ACTIVE_STATES } } : {}),
      ...(codingTask ? { jobs: [{ type: 'submit-coding-task', payload: { incident_id: incident.id }, dedupe_key: `coding:${incident.id}` }] } : {}),
      events: [
        ...(codingTask ? [{ incident_id: incident.id, type: 'coding-task-requested', data: { repository: codingTask.repository, after: 'rollback' } }] : []),
        { incident_id: incident.id, type: 'action-verified', data: { action_id: action.id, effective: true, evidence, recovery_seconds: recovery } },
        ...(resolve ? [{ incident_id: incident.id, type: 'incident-resolved', data: { reason: `verified: ${action.operation} was effective`, time_to_recovery_s: recovery } }] : []),
      ],
      completeJob: jobId,
      audit: [
        audit.entry('action-verified', incident.id, { action_id: action.id, effective: true, evidence, recovery_seconds: recovery }),
        ...(resolve ? [audit.entry('incident-resolved', incident.id, { time_to_recovery_s: recovery, action_id: action.id })] : []),
      ],
    });
    if (!committed) return; // resolved meanwhile by its alerts (reconcile)
    metrics.actionsFinished.inc({ operation: action.operation, outcome: 'effective' });
    if (resolve) metrics.timeToRecovery.observe({ alertname: incident.alertname }, recovery);
    return;
  }
  if (now < payload.deadline) {
    await dependencies.changes.commit({
      jobs: [{ type: 'verify-action', payload, run_at: new Date(Date.now() + config.VERIFICATION_INTERVAL * 1000).toISOString() }],
      completeJob: jobId,
    });
    return;
  }
  await dependencies.changes.commit({
    updateAction: { id: action.id, patch: { effective: false, verified_at: now }, expectUnverified: true },
    events: [{ incident_id: incident.id, type: 'action-verified', data: { action_id: action.id, effective: false, evidence: `still firing ${config.VERIFICATION_WINDOW}s after ${action.operation}` } }],
    jobs: [{ type: 'decide', payload: { incident_id: incident.id }, dedupe_key: `decide:${action.id}` }],
    completeJob: jobId,
    audit: [audit.entry('action-verified', incident.id, { action_id: action.id, effective: false })],
  });
  metrics.actionsFinished.inc({ operation: action.operation, outcome: 'ineffective' });
  if (await circuitOpen(dependencies.actions, config, action.target)) {
    await dependencies.changes.commit({
      events: [{ incident_id: incident.id, type: 'circuit-opened', data: { target: action.target } }],
      audit: [audit.entry('circuit-opened', action.target, { incident_id: incident.id })],
    });
  }
  dependencies.wake();
}

/** The coding task asked for after an effective rollback: the newer image still has the bug. */
function pendingCodingTask(incident: Incident, repository: string, now: string): CodingTaskRecord {
  return { status: 'pending', repository, requirement: codingRequirement(incident), attempts: 0, updated_at: now };
}
