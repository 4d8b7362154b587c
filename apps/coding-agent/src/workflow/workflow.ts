import { BudgetExceededError } from '../model/model-client.js';
import type { Task } from '../tasks/task.js';
import { LEASE_LOST, SHUTDOWN } from '../tasks/task-manager.js';
import { checkSecurity, implementChange } from './change-steps.js';
import { commitChange, openPullRequest, pushChange } from './delivery-steps.js';
import { WorkflowStop } from './implement-loop.js';
import { installDependencies, planChange, prepareWorkspace, runBaseline, surveyRepository } from './prepare-steps.js';
import { StepList } from './step-list.js';
import { type RunControl, startRun, type TaskEnding, type WorkflowDependencies, withModel } from './workflow-run.js';

export type { WorkflowDependencies, WorkflowSettings } from './workflow-run.js';

/**
 * The coding workflow, in order. Each step takes the previous step's output; every recorded
 * step is saved as it starts and ends, so a restarted task resumes after its last completed one.
 */
export const WORKFLOW_STEPS = StepList.first(prepareWorkspace)
  .next(surveyRepository)
  .next(planChange)
  .next(installDependencies)
  .next(runBaseline)
  .next(implementChange)
  .next(checkSecurity)
  .next(commitChange)
  .next(pushChange)
  .next(openPullRequest);

/** Writes the task's final status and the `task-done` event. */
async function endTask(control: RunControl, ending: TaskEnding): Promise<void> {
  const { task, recorder } = control;
  task.finished_at = control.clock().toISOString();
  await recorder.setStatus(ending.status, ending.reason);
  await control.dependencies.events.emit(task.task_id, 'task-done', {
    status: ending.status,
    ...(ending.reason !== undefined ? { reason: ending.reason } : {}),
    ...(task.pull_request ? { pull_request: task.pull_request } : {}),
  });
}

function failureReason(control: RunControl, error: unknown): string {
  if (control.requested.aborted) return 'cancelled on request';
  if (control.timeout.aborted) return `exceeded WORKFLOW_TIMEOUT (${Math.round(control.settings.workflowTimeoutMs / 1000)} s)`;
  if (error instanceof BudgetExceededError) return `${error.message} (TASK_TOKEN_BUDGET)`;
  return error instanceof Error ? error.message : String(error);
}

/**
 * After a step threw: nothing on a lost lease (another replica took the task over, having seen
 * this one stall past its lease); the task left `running` on shutdown, so the next start
 * resumes it (an orderly shutdown does not count against TASK_MAX_RESUMES); otherwise
 * `cancelled` (on request) or `failed` with the reason.
 */
async function handleFailure(control: RunControl, error: unknown): Promise<void> {
  const { task, recorder, requested } = control;
  if (requested.aborted && requested.reason === LEASE_LOST) return;
  if (requested.aborted && requested.reason === SHUTDOWN) {
    task.interrupted_by_shutdown = true;
    await recorder.save();
    return;
  }
  const reason = failureReason(control, error);
  task.finished_at = control.clock().toISOString();
  await recorder.setStatus(requested.aborted ? 'cancelled' : 'failed', reason);
  await control.dependencies.events.emit(task.task_id, 'task-done', { status: task.status, reason });
}

/** `CLEANUP_WORKSPACES`: the workspace goes once the task has ended (kept while it may resume). */
async function cleanUp(control: RunControl): Promise<void> {
  const { task, settings, requested } = control;
  if (!settings.cleanupWorkspaces || task.status === 'running' || requested.reason === LEASE_LOST) return;
  await control.dependencies.workspaces.remove(task.task_id).catch(() => {});
}

/**
 * Runs (or resumes) one task to a final status through {@link WORKFLOW_STEPS}: workspace →
 * plan → baseline tests → implement (edit, check, test loop) → security checks → commit → push
 * → pull request. A resumed task keeps its plan, baseline and patch, re-creates the workspace
 * at the same base commit and replays what follows. The status becomes `completed` only once
 * the pull request exists (after the push was confirmed with `git ls-remote`).
 */
export async function runWorkflow(task: Task, dependencies: WorkflowDependencies, signal: AbortSignal): Promise<void> {
  const control = startRun(task, dependencies, signal);
  if (task.status !== 'running') {
    task.started_at ??= control.clock().toISOString();
    await control.recorder.setStatus('running');
  }
  try {
    if (typeof dependencies.model === 'string') throw new WorkflowStop(`no model: ${dependencies.model}`);
    const ending = await WORKFLOW_STEPS.run(withModel(control, dependencies.model), undefined);
    await endTask(control, ending);
  } catch (error) {
    await handleFailure(control, error);
  } finally {
    await cleanUp(control);
  }
}
