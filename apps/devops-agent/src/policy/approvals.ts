import { ConflictError, NotFoundError, type Principal } from '@atb/service-kit';
import type { AgentPorts } from '../composition/agent-ports.js';
import { type EscalatePorts, escalateIncident } from '../escalation/escalate-incident.js';
import type { Action } from '../store/agent-store.js';
import { secondApproval } from './four-eyes.js';

/** The ports this stage uses. */
export type ApprovalPorts = Pick<AgentPorts, 'actions' | 'audit' | 'changes' | 'config' | 'incidents' | 'wake'> & EscalatePorts;

async function pendingAction(dependencies: ApprovalPorts, id: string): Promise<Action> {
  const action = await dependencies.actions.get(id);
  if (!action) throw new NotFoundError(`no action ${id}`, { field: 'id' });
  if (action.status === 'pending' && action.expires_at !== null && action.expires_at < new Date().toISOString()) {
    await expireAction(dependencies, action);
    throw new ConflictError(`action ${id} expired at ${action.expires_at} waiting for approval`, { field: 'id', details: { status: 'expired' } });
  }
  if (action.status !== 'pending') {
    throw new ConflictError(`action ${id} is ${action.status}, not pending`, { field: 'id', details: { status: action.status } });
  }
  return action;
}

/** Who decides and how they proved it: the request's principal, from a bearer token or a dashboard session. */
export interface Decider {
  principal: Principal;
  /** `token` (API bearer token), `session` (dashboard sign-in with a token) or `proxy` (trusted reverse proxy's user header). */
  via: 'token' | 'session' | 'proxy';
}

/** What the audit record carries about the decider: the principal and how it authenticated. */
export function deciderData(decider: Decider): Record<string, unknown> {
  const { id, name, kind, role } = decider.principal;
  return { principal: { id, name, kind, role }, authenticated_via: decider.via };
}

/**
 * A human approves a pending action: it runs (once) through the gateway. With
 * REQUIRE_SECOND_APPROVER=true a `high`-risk action takes two different people: the first
 * approval is recorded (the action stays pending, `approved_by` names them) and only a second,
 * different principal's approval runs it (see `policy/four-eyes.ts`).
 */
export async function approveAction(dependencies: ApprovalPorts, id: string, decider: Decider, reason: string | undefined): Promise<Action> {
  const { audit } = dependencies;
  const action = await pendingAction(dependencies, id);
  const actor = decider.principal.name;
  const approval = secondApproval(dependencies.config, action, actor);
  const data = { action_id: id, operation: action.operation, target: action.target, risk: action.risk, reason, ...deciderData(decider) };
  if (approval.needed === 'first') {
    const committed = await dependencies.changes.commit({
      updateAction: { id, patch: { approved_by: actor, approval_reason: reason ?? null }, expectStatuses: ['pending'] },
      events: [{ incident_id: action.incident_id, type: 'action-first-approval', data: { action_id: id, operation: action.operation, actor, reason } }],
      audit: [audit.entry('action-first-approval', action.incident_id, data, actor)],
    });
    if (!committed) throw new ConflictError(`action ${id} is no longer pending`, { field: 'id' });
    return (await dependencies.actions.get(id))!;
  }
  const approvers = approval.needed === 'second' ? { first_approver: approval.firstApprover } : {};
  const committed = await dependencies.changes.commit({
    updateAction: {
      id,
      patch: { status: 'approved', decided_by: 'human', approved_by: actor, approval_reason: reason ?? null },
      expectStatuses: ['pending'],
    },
    incident: { id: action.incident_id, patch: { state: 'remediating' } },
    events: [{ incident_id: action.incident_id, type: 'action-approved', data: { action_id: id, operation: action.operation, actor, reason, ...approvers } }],
    jobs: [{ type: 'execute-action', payload: { action_id: id }, dedupe_key: `execute:${id}` }],
    audit: [audit.entry('action-approved', action.incident_id, { ...data, ...approvers }, actor)],
  });
  if (!committed) throw new ConflictError(`action ${id} is no longer pending`, { field: 'id' });
  dependencies.wake();
  return (await dependencies.actions.get(id))!;
}

/** A human rejects a pending action: nothing runs, and the incident is escalated to humans. */
export async function rejectAction(dependencies: ApprovalPorts, id: string, decider: Decider, reason: string): Promise<Action> {
  const { audit } = dependencies;
  const action = await pendingAction(dependencies, id);
  const actor = decider.principal.name;
  const committed = await dependencies.changes.commit({
    updateAction: { id, patch: { status: 'rejected', decided_by: 'human', approved_by: actor, approval_reason: reason, finished_at: new Date().toISOString() }, expectStatuses: ['pending'] },
    events: [{ incident_id: action.incident_id, type: 'action-rejected', data: { action_id: id, operation: action.operation, actor, reason } }],
    audit: [audit.entry('action-rejected', action.incident_id, { action_id: id, operation: action.operation, target: action.target, reason, ...deciderData(decider) }, actor)],
  });
  if (!committed) throw new ConflictError(`action ${id} is no longer pending`, { field: 'id' });
  const incident = await dependencies.incidents.get(action.incident_id);
  if (incident) await escalateIncident(dependencies, incident, `${action.operation} rejected by ${actor}: ${reason}`);
  return (await dependencies.actions.get(id))!;
}

async function expireAction(dependencies: ApprovalPorts, action: Action): Promise<void> {
  const { audit } = dependencies;
  const committed = await dependencies.changes.commit({
    updateAction: { id: action.id, patch: { status: 'expired', finished_at: new Date().toISOString() }, expectStatuses: ['pending'] },
    events: [{ incident_id: action.incident_id, type: 'action-expired', data: { action_id: action.id, expires_at: action.expires_at } }],
    audit: [audit.entry('action-expired', action.incident_id, { action_id: action.id, operation: action.operation })],
  });
  if (!committed) return;
  const incident = await dependencies.incidents.get(action.incident_id);
  if (incident) await escalateIncident(dependencies, incident, `approval of ${action.operation} expired after ${dependencies.config.APPROVAL_TTL}s`);
}

/** Sweep: pending actions past their approval deadline expire and escalate their incident. */
export async function expireApprovals(dependencies: ApprovalPorts): Promise<number> {
  const now = new Date().toISOString();
  const pending = await dependencies.actions.list({ status: 'pending', limit: 1000 });
  const due = pending.filter((action) => action.expires_at !== null && action.expires_at < now);
  for (const action of due) await expireAction(dependencies, action);
  return due.length;
}
