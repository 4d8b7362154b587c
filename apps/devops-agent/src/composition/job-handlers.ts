import { analyzeIncident } from '../analysis/analyze-incident.js';
import { pollCodingTask, submitCodingTask } from '../escalation/coding-tasks.js';
import { notifyEscalation } from '../escalation/escalation-notifier.js';
import { reconcileIncident } from '../incidents/reconcile-incident.js';
import { decideNextAction } from '../policy/decide-next-action.js';
import type { JobHandler } from '../queue/job-worker.js';
import { executeAction } from '../remediation/execute-action.js';
import { ACTIVE_STATES, type Job } from '../store/agent-store.js';
import { verifyAction } from '../verification/verify-action.js';
import type { AgentPorts } from './agent-ports.js';

const text = (value: unknown): string => String(value);
const incidentOf = (job: Job) => text(job.payload.incident_id);

/** One handler per job type: each hands its payload to the stage that does the work. */
export function createJobHandlers(ports: AgentPorts, publicUrl: () => string): Record<string, JobHandler> {
  return {
    analyze: async (job) => {
      const known = await analyzeIncident(ports, incidentOf(job));
      if (known) await decideNextAction(ports, incidentOf(job), { completeJob: job.id, known });
    },
    decide: (job) => decideNextAction(ports, incidentOf(job), { completeJob: job.id }),
    'execute-action': (job) => executeAction(ports, text(job.payload.action_id), job.id),
    'verify-action': (job) => verifyAction(ports, { action_id: text(job.payload.action_id), deadline: text(job.payload.deadline) }, job.id),
    reconcile: (job) => reconcileIncident(ports, incidentOf(job), job.id),
    'notify-escalation': (job) => notifyEscalation(ports, { incident_id: incidentOf(job), reason: text(job.payload.reason) }, publicUrl()),
    'submit-coding-task': (job) => submitCodingTask(ports, incidentOf(job), job.id),
    'poll-coding-task': (job) => pollCodingTask(ports, incidentOf(job), job.id),
  };
}

/** A step of an incident failed for good: the incident is `failed`, for humans to take over. */
export async function failIncidentOfJob(ports: Pick<AgentPorts, 'actions' | 'changes' | 'audit'>, job: Job, error: unknown): Promise<void> {
  const incidentId =
    typeof job.payload.incident_id === 'string'
      ? job.payload.incident_id
      : typeof job.payload.action_id === 'string'
        ? (await ports.actions.get(job.payload.action_id))?.incident_id
        : undefined;
  if (!incidentId) return;
  const reason = `${job.type} failed after ${job.attempts + 1} attempts: ${error instanceof Error ? error.message : String(error)}`.slice(0, 1000);
  await ports.changes.commit({
    incident: { id: incidentId, patch: { state: 'failed', escalation_reason: reason }, expectStates: ACTIVE_STATES },
    events: [{ incident_id: incidentId, type: 'incident-failed', data: { job: job.type, reason } }],
    jobs: [{ type: 'notify-escalation', payload: { incident_id: incidentId, reason } }],
    audit: [ports.audit.entry('incident-failed', incidentId, { job: job.type, reason })],
  });
}
