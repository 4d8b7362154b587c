import { CodingAgentClient, tokenFromFile } from '@atb/clients';
import { FINAL_TASK_STATUSES, type TaskView } from '@atb/contracts';
import type { AgentPorts } from '../composition/agent-ports.js';
import type { CodingTaskRecord } from '../store/agent-store.js';

/** The ports this stage uses. */
export type CodingTaskPorts = Pick<AgentPorts, 'audit' | 'changes' | 'config' | 'incidents' | 'wake'>;

const backoff = (attempts: number) => new Date(Date.now() + Math.min(300_000, 1000 * 2 ** Math.min(attempts, 10))).toISOString();

const REQUEST_TIMEOUT_MS = 10_000;

/** The coding agent's client with the agent's machine token: CODING_AGENT_TOKEN, else the file `atb up` points CODING_AGENT_TOKEN_FILE at (read per call). */
function codingAgentClient(config: CodingTaskPorts['config'], baseUrl: string): CodingAgentClient {
  return new CodingAgentClient({ baseUrl, timeoutMs: REQUEST_TIMEOUT_MS, token: config.CODING_AGENT_TOKEN ?? tokenFromFile(config.CODING_AGENT_TOKEN_FILE) });
}

const failureOf = (error: unknown) => (error instanceof Error ? error.message : String(error));

/**
 * The record of a task that has ended: its final status as the coding agent reports it
 * (`completed` with its pull request, `no_change_needed`, `failed`, `cancelled`) and why.
 */
export function finishedRecord(record: CodingTaskRecord, task: TaskView, now: string): CodingTaskRecord {
  const status = task.status === 'queued' || task.status === 'running' ? 'failed' : task.status;
  const finished: CodingTaskRecord = {
    ...record,
    status,
    task_status: task.status,
    ...(task.pull_request ? { pull_request_url: task.pull_request.url } : {}),
    ...(task.reason ? { reason: task.reason } : {}),
    updated_at: now,
  };
  delete finished.last_error;
  return finished;
}

/**
 * Job `submit-coding-task`: hands the incident's coding-task request to the coding agent
 * (`POST /tasks`), retrying with backoff until it is accepted, then polls it.
 */
export async function submitCodingTask(dependencies: CodingTaskPorts, incidentId: string, jobId: number): Promise<void> {
  const { config, audit } = dependencies;
  const incident = await dependencies.incidents.get(incidentId);
  const task = incident?.coding_task;
  if (!incident || !task || task.status !== 'pending' || !config.CODING_AGENT_URL) return;
  const client = codingAgentClient(config, config.CODING_AGENT_URL);
  let accepted: string | undefined;
  let error: string | undefined;
  try {
    accepted = (await client.createTask({ repository: task.repository, requirement: task.requirement, incident_id: incident.id })).task_id;
  } catch (caught) {
    error = failureOf(caught);
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

/**
 * Job `poll-coding-task`: follows the accepted task until it ends, then records its final
 * status. A coding agent that cannot be read (unreachable, an error, an answer outside the
 * contract) is polled again, and the reason is kept on the record as `last_error`.
 */
export async function pollCodingTask(dependencies: CodingTaskPorts, incidentId: string, jobId: number): Promise<void> {
  const { config, audit } = dependencies;
  const incident = await dependencies.incidents.get(incidentId);
  const record = incident?.coding_task;
  if (!incident || !record || record.status !== 'accepted' || !record.task_id || !config.CODING_AGENT_URL) return;
  const client = codingAgentClient(config, config.CODING_AGENT_URL);
  const now = new Date().toISOString();
  let task: TaskView | undefined;
  let error: string | undefined;
  try {
    task = await client.getTask(record.task_id);
  } catch (caught) {
    error = failureOf(caught);
  }
  if (task && FINAL_TASK_STATUSES.includes(task.status)) {
    const updated = finishedRecord(record, task, now);
    const url = updated.pull_request_url;
    const details = { task_id: record.task_id, status: task.status, ...(url ? { url } : {}), ...(task.reason ? { reason: task.reason } : {}) };
    await dependencies.changes.commit({
      incident: { id: incident.id, patch: { coding_task: updated } },
      events: [{ incident_id: incident.id, type: url ? 'pull-request-opened' : 'coding-task-finished', data: details }],
      completeJob: jobId,
    });
    await audit.record(url ? 'pull-request-linked' : 'coding-task-finished', incident.id, details);
    return;
  }
  const changed = task ? task.status !== record.task_status || record.last_error !== undefined : error !== record.last_error;
  const patch: CodingTaskRecord = task ? { ...record, task_status: task.status, updated_at: now } : { ...record, last_error: error ?? 'unknown', updated_at: now };
  if (task) delete patch.last_error;
  await dependencies.changes.commit({
    ...(changed ? { incident: { id: incident.id, patch: { coding_task: patch } } } : {}),
    jobs: [{ type: 'poll-coding-task', payload: { incident_id: incident.id }, run_at: new Date(Date.now() + config.CODING_TASK_POLL_INTERVAL * 1000).toISOString() }],
    completeJob: jobId,
  });
}
