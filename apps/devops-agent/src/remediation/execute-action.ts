import type { AgentPorts } from '../composition/agent-ports.js';
import { READ_ONLY_OPERATIONS } from '../analysis/runbooks.js';
import type { Action } from '../store/agent-store.js';

/** The ports this stage uses. */
export type ExecuteActionPorts = Pick<AgentPorts, 'actions' | 'audit' | 'changes' | 'config' | 'gateway' | 'incidents' | 'metrics' | 'wake'>;

/** The context sent with an action: why the agent asks, for humans and the gateway's audit. */
async function commandContext(dependencies: ExecuteActionPorts, action: Action): Promise<Record<string, unknown>> {
  const incident = await dependencies.incidents.get(action.incident_id);
  const analysis = incident?.analysis?.analysis;
  return {
    incident_id: action.incident_id,
    action_id: action.id,
    operation: action.operation,
    attempt: action.attempt,
    alertname: action.alertname,
    service: action.service,
    ...(analysis
      ? {
          issue_type: analysis.issue_type,
          severity: analysis.severity,
          description: analysis.description.slice(0, 500),
          root_cause: analysis.root_cause.slice(0, 1000),
          confidence: analysis.confidence,
        }
      : {}),
    decided_by: action.decided_by,
    approved_by: action.approved_by,
  };
}

/**
 * Job `execute-action`: runs an approved action through the gateway, once. The action is marked
 * running before the request; a run resumed after a crash sends the same idempotency key, so the
 * gateway answers with the first result instead of executing again.
 */
export async function executeAction(dependencies: ExecuteActionPorts, actionId: string, jobId: number): Promise<void> {
  const { audit, gateway, config, metrics } = dependencies;
  const action = await dependencies.actions.get(actionId);
  if (!action || !['approved', 'running'].includes(action.status)) return;
  if (action.status === 'approved') {
    const data = { action_id: action.id, operation: action.operation, target: action.target, idempotency_key: action.idempotency_key };
    // Marked running and audited in one transaction, before the gateway is called.
    const started = await dependencies.changes.commit({
      // The incident is already `remediating` (set by the policy's or the human's approval).
      updateAction: { id: action.id, patch: { status: 'running', started_at: new Date().toISOString() }, expectStatuses: ['approved'] },
      events: [{ incident_id: action.incident_id, type: 'action-started', data }],
      audit: [audit.entry('action-started', action.incident_id, data)],
    });
    if (!started) return;
  } else {
    await audit.record('action-resumed', action.incident_id, { action_id: action.id, idempotency_key: action.idempotency_key });
  }
  const result = await gateway.execute({
    target: action.target,
    intent: action.intent,
    context: await commandContext(dependencies, action),
    priority: action.priority,
    idempotencyKey: action.idempotency_key,
  });
  const succeeded = result.ok && result.response.overall_status === 'success';
  const finishedAt = new Date().toISOString();
  const gatewayResponse: Record<string, unknown> = result.ok
    ? { ...result.response, attempts: result.attempts }
    : { error: result.error, ...(result.status ? { status: result.status } : {}), attempts: result.attempts };
  const readOnly = READ_ONLY_OPERATIONS.has(action.operation);
  const summary = {
    action_id: action.id,
    operation: action.operation,
    outcome: succeeded ? 'succeeded' : 'failed',
    overall_status: result.ok ? result.response.overall_status : 'unreachable',
    ...(result.ok ? { command: result.response.execution_details.command, execution_time_ms: result.response.execution_details.execution_time_ms } : { error: result.error }),
    ...(result.ok && result.response.reason ? { reason: result.response.reason } : {}),
    ...(readOnly && result.ok ? { result: JSON.stringify(result.response.execution_details.execution_result ?? null).slice(0, 2000) } : {}),
  };
  const verifyNext = succeeded && !readOnly;
  // The outcome and its audit record commit together: if the record cannot be written, the action
  // stays `running`, the job is retried, and the retry's gateway call with the same idempotency
  // key gets the first result back instead of executing again.
  const finished = await dependencies.changes.commit({
    updateAction: { id: action.id, patch: { status: succeeded ? 'succeeded' : 'failed', finished_at: finishedAt, gateway_response: gatewayResponse }, expectStatuses: ['running'] },
    incident: { id: action.incident_id, patch: { state: verifyNext ? 'verifying' : 'investigating' } },
    events: [{ incident_id: action.incident_id, type: 'action-finished', data: summary }],
    jobs: verifyNext
      ? [
          {
            type: 'verify-action',
            payload: { action_id: action.id, deadline: new Date(Date.now() + config.VERIFICATION_WINDOW * 1000).toISOString() },
            run_at: new Date(Date.now() + Math.min(config.VERIFICATION_INTERVAL, config.VERIFICATION_WINDOW) * 1000).toISOString(),
          },
        ]
      : [{ type: 'decide', payload: { incident_id: action.incident_id }, dedupe_key: `decide:${action.id}` }],
    completeJob: jobId,
    audit: [audit.entry('action-finished', action.incident_id, summary)],
  });
  if (!finished) return;
  metrics.actionsFinished.inc({ operation: action.operation, outcome: succeeded ? 'succeeded' : 'failed' });
  dependencies.wake();
}
