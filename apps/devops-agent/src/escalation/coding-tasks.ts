import type { AgentPorts } from '../composition/agent-ports.js';
import type { CodingTaskRecord } from '../store/agent-store.js';

/** The ports this stage uses. */
export type CodingTaskPorts = Pick<AgentPorts, 'audit' | 'changes' | 'config' | 'incidents' | 'wake'>;

const TERMINAL_TASK_STATUSES = new Set(['succeeded', 'completed', 'no_change_needed', 'failed', 'cancelled', 'canceled', 'error']);

const backoff = (attempts: number) => new Date(Date.now() + Math.min(300_000, 1000 * 2 ** Math.min(attempts, 10))).toISOString();

/**
 * Job `submit-coding-task`: hands the incident's coding-task request to the coding agent
 * (`POST /tasks`), retrying with backoff until it is accepted, then polls it.
 */
export async function submitCodingTask(dependencies: CodingTaskPorts, incidentId: string, jobId: number): Promise<void> {
  const { config, audit } = dependencies;
  const incident = await dependencies.incidents.get(incidentId);
  const task = incident?.coding_task;
  if (!incident || !task || task.status !== 'pending' || !config.CODING_AGENT_URL) return;
  let accepted: string | undefined;
  let error: string | undefined;
  try {
    const response = await fetch(new URL('/tasks', config.CODING_AGENT_URL), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ repository: task.repository, requirement: task.requirement, incident_id: incident.id }),
      signal: AbortSignal.timeout(10_000),
    });
    const body = (await response.json().catch(() => ({}))) as { task_id?: string; id?: string; message?: string };
    if (response.ok && (body.task_id ?? body.id)) accepted = String(body.task_id ?? body.id);
    else error = `coding agent answered ${response.status}${body.message ? `: ${body.message}` : ''}`;
  } catch (caught) {
    error = `coding agent unreachable: ${caught instanceof Error ? caught.message : String(caught)}`;
  }
  const now = new Date().toISOString();
  if (accepted) {
    const updated: CodingTaskRecord = { ...task, status: 'accepted', task_id: accepted, attempts: task.attempts + 1, updated_at: now };
    delete updated.last_error;
    await dependencies.changes.commit({
      incident: { id: incident.id, patch: { coding_task: updated } },
      events: [{ incident_id: incident.id, type: 'coding-task-accepted', data: { task_id: accepted } }],
      jobs: [{ type: 'poll-coding-task', payload: { incident_id: incident.id }, run_at: new Date(Date.now() + config.CODING_TASK_POLL_INTERVAL * 1000).toISOString() }],
      completeJob: jobId,
    });
    await audit.record('coding-task-accepted', incident.id, { task_id: accepted, repository: task.repository });
  } else {
    await dependencies.changes.commit({
      incident: { id: incident.id, patch: { coding_task: { ...task, attempts: task.attempts + 1, last_error: error ?? 'unknown', updated_at: now } } },
      jobs: [{ type: 'submit-coding-task', payload: { incident_id: incident.id }, run_at: backoff(task.attempts) }],
      completeJob: jobId,
    });
  }
  dependencies.wake();
}

/** Job `poll-coding-task`: follows the accepted task until it has a pull request or ends. */
export async function pollCodingTask(dependencies: CodingTaskPorts, incidentId: string, jobId: number): Promise<void> {
  const { config, audit } = dependencies;
  const incident = await dependencies.incidents.get(incidentId);
  const task = incident?.coding_task;
  if (!incident || !task || task.status !== 'accepted' || !task.task_id || !config.CODING_AGENT_URL) return;
  const now = new Date().toISOString();
  let body: { status?: string; pull_request?: { url?: string } | null } | undefined;
  try {
    const response = await fetch(new URL(`/tasks/${encodeURIComponent(task.task_id)}`, config.CODING_AGENT_URL), { signal: AbortSignal.timeout(10_000) });
    if (response.ok) body = (await response.json()) as typeof body;
  } catch {
    body = undefined;
  }
  const pullRequest = body?.pull_request?.url;
  const status = body?.status;
  if (pullRequest || (status && TERMINAL_TASK_STATUSES.has(status))) {
    const updated: CodingTaskRecord = {
      ...task,
      status: pullRequest ? 'completed' : status === 'succeeded' || status === 'completed' ? 'completed' : 'failed',
      ...(status ? { task_status: status } : {}),
      ...(pullRequest ? { pull_request_url: pullRequest } : {}),
      updated_at: now,
    };
    await dependencies.changes.commit({
      incident: { id: incident.id, patch: { coding_task: updated } },
      events: [{ incident_id: incident.id, type: pullRequest ? 'pull-request-opened' : 'coding-task-finished', data: { task_id: task.task_id, status, ...(pullRequest ? { url: pullRequest } : {}) } }],
      completeJob: jobId,
    });
    await audit.record(pullRequest ? 'pull-request-linked' : 'coding-task-finished', incident.id, { task_id: task.task_id, status, url: pullRequest });
    return;
  }
  await dependencies.changes.commit({
    ...(status && status !== task.task_status ? { incident: { id: incident.id, patch: { coding_task: { ...task, task_status: status, updated_at: now } } } } : {}),
    jobs: [{ type: 'poll-coding-task', payload: { incident_id: incident.id }, run_at: new Date(Date.now() + config.CODING_TASK_POLL_INTERVAL * 1000).toISOString() }],
    completeJob: jobId,
  });
}
