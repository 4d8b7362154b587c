import type { AgentPorts } from '../composition/agent-ports.js';
import { TERMINAL_STATES } from '../incidents/incident-target.js';
import type { CodingTaskRecord, Incident } from '../store/agent-store.js';

/** The ports this stage uses. */
export type EscalatePorts = Pick<AgentPorts, 'audit' | 'catalog' | 'changes' | 'config' | 'wake'>;

/** The requirement handed to the coding agent for a code-level incident. */
export function codingRequirement(incident: Incident): string {
  const analysis = incident.analysis?.analysis;
  return [
    `Fix the ${analysis?.issue_type ?? 'problem'} behind incident ${incident.id} in ${incident.service} (alert ${incident.alertname}).`,
    analysis ? `What is seen: ${analysis.description}` : undefined,
    analysis ? `Likely cause: ${analysis.root_cause}` : undefined,
    'Add a test that reproduces the problem, fix it, and keep the existing tests passing.',
  ]
    .filter(Boolean)
    .join('\n');
}

/**
 * Escalates an incident to humans: state `escalated`, a notification job, and for a code-level
 * incident a coding-task request kept on the incident until the coding agent accepts it.
 */
export async function escalateIncident(
  dependencies: EscalatePorts,
  incident: Incident,
  reason: string,
  options: { codeLevel?: boolean; completeJob?: number } = {},
): Promise<boolean> {
  const { audit, config } = dependencies;
  if (TERMINAL_STATES.has(incident.state)) return false;
  const codingTask: CodingTaskRecord | undefined =
    options.codeLevel && incident.coding_task === null
      ? {
          status: 'pending',
          repository: dependencies.catalog.get(incident.service)?.repository ?? config.CODING_TASK_REPOSITORY,
          requirement: codingRequirement(incident),
          attempts: 0,
          updated_at: new Date().toISOString(),
        }
      : undefined;
  const committed = await dependencies.changes.commit({
    incident: {
      id: incident.id,
      patch: { state: 'escalated', escalation_reason: reason.slice(0, 1000), ...(codingTask ? { coding_task: codingTask } : {}) },
      expectStates: [incident.state],
    },
    events: [
      { incident_id: incident.id, type: 'incident-escalated', data: { reason, code_level: options.codeLevel === true } },
      ...(codingTask ? [{ incident_id: incident.id, type: 'coding-task-requested', data: { repository: codingTask.repository } }] : []),
    ],
    jobs: [
      { type: 'notify-escalation', payload: { incident_id: incident.id, reason } },
      ...(codingTask ? [{ type: 'submit-coding-task', payload: { incident_id: incident.id }, dedupe_key: `coding:${incident.id}` }] : []),
    ],
    ...(options.completeJob !== undefined ? { completeJob: options.completeJob } : {}),
    audit: [audit.entry('incident-escalated', incident.id, { reason, code_level: options.codeLevel === true })],
  });
  if (!committed) return false;
  dependencies.wake();
  return true;
}
