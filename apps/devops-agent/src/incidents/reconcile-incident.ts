import type { AgentPorts } from '../composition/agent-ports.js';
import { READ_ONLY_OPERATIONS } from '../analysis/runbooks.js';
import type { ChangeSet } from '../store/unit-of-work.js';
import { secondsBetween } from './incident-target.js';

/** The ports this stage uses. */
export type ReconcilePorts = Pick<AgentPorts, 'actions' | 'audit' | 'changes' | 'incidents' | 'metrics'>;

/**
 * Job `reconcile`: every alert of an incident resolved. A remediation awaiting verification is
 * verified effective; pending approvals are cancelled; the incident is resolved. An action still
 * running is left to finish — its verification resolves the incident.
 */
export async function reconcileIncident(dependencies: ReconcilePorts, incidentId: string, jobId: number): Promise<void> {
  const { audit, metrics } = dependencies;
  const incident = await dependencies.incidents.get(incidentId);
  if (!incident || incident.state === 'resolved') return;
  const alerts = await dependencies.incidents.alerts(incident.id);
  if (alerts.some((alert) => alert.status === 'firing')) return;
  const actions = await dependencies.actions.list({ incident_id: incident.id, limit: 1000 });
  if (actions.some((action) => action.status === 'approved' || action.status === 'running')) return;
  const now = new Date().toISOString();
  const recovery = secondsBetween(incident.cycle_started_at, now);
  const unverified = actions.find(
    (action) => action.status === 'succeeded' && action.effective === null && !READ_ONLY_OPERATIONS.has(action.operation),
  );
  const pending = actions.filter((action) => action.status === 'pending');
  const changes: ChangeSet = {
    incident: { id: incident.id, patch: { state: 'resolved', resolved_at: now }, expectStates: [incident.state] },
    events: [
      ...pending.map((action) => ({ incident_id: incident.id, type: 'action-cancelled', data: { action_id: action.id, reason: 'alerts resolved before approval' } })),
      ...(unverified ? [{ incident_id: incident.id, type: 'action-verified', data: { action_id: unverified.id, effective: true, evidence: 'every alert resolved', recovery_seconds: recovery } }] : []),
      {
        incident_id: incident.id,
        type: 'incident-resolved',
        data: {
          reason: unverified ? `verified: ${unverified.operation} was effective` : actions.some((action) => action.effective) ? 'alerts resolved after a verified fix' : 'alerts resolved without an action',
          time_to_recovery_s: recovery,
        },
      },
    ],
    updateActions: [
      ...pending.map((action) => ({ id: action.id, patch: { status: 'cancelled' as const, finished_at: now }, expectStatuses: ['pending' as const] })),
      ...(unverified ? [{ id: unverified.id, patch: { effective: true, verified_at: now, recovery_seconds: recovery }, expectUnverified: true }] : []),
    ],
    completeJob: jobId,
    audit: [
      ...(unverified ? [audit.entry('action-verified', incident.id, { action_id: unverified.id, effective: true, evidence: 'every alert resolved' })] : []),
      audit.entry('incident-resolved', incident.id, { time_to_recovery_s: recovery, previous_state: incident.state }),
    ],
  };
  if (!(await dependencies.changes.commit(changes))) return;
  if (unverified) metrics.actionsFinished.inc({ operation: unverified.operation, outcome: 'effective' });
  metrics.timeToRecovery.observe({ alertname: incident.alertname }, recovery);
}
