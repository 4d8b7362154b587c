import type { PullRequest } from '../forge/forge.js';
import type { Changed } from './change-steps.js';
import { branchName, commitChanges, pushBranch } from './git-operations.js';
import { pullRequestBody } from './pull-request-body.js';
import type { WorkflowStep } from './step-list.js';
import { TaskEnding, type WorkflowRun } from './workflow-run.js';
import type { PreparedWorkspace } from './workspace-provider.js';

/** The change committed on the task's own branch. */
export interface Committed {
  workspace: PreparedWorkspace;
  branch: string;
  commit: string;
}

function commitMessage(run: WorkflowRun): string {
  const { task } = run;
  const incident = task.incident_id ? `\nIncident: ${task.incident_id}` : '';
  return `${task.requirement.split('\n')[0]?.slice(0, 72)}\n\nCoding agent task ${task.task_id}${incident}`;
}

/** `commit`: the changed paths on `atb/<task-id>-<slug>` (branch and commit saved on the task). */
export const commitChange: WorkflowStep<Changed, Committed> = {
  name: 'commit',
  async run(run, changed) {
    const { task, recorder, settings } = run;
    task.branch ??= branchName(task.task_id, task.requirement);
    const branch = task.branch;
    const commit = await recorder.step(
      'commit',
      () =>
        commitChanges(changed.workspace.path, {
          branch,
          paths: changed.changedPaths,
          message: commitMessage(run),
          authorName: settings.gitUserName,
          authorEmail: settings.gitUserEmail,
        }),
      (sha) => sha.slice(0, 12),
    );
    task.commit = commit;
    await recorder.save();
    return { workspace: changed.workspace, branch, commit };
  },
};

/** `push`: forced to the task's own branch, confirmed with `git ls-remote`. */
export const pushChange: WorkflowStep<Committed, Committed> = {
  name: 'push',
  async run({ task, recorder, dependencies }, committed) {
    const { forge } = dependencies;
    await recorder.step(
      'push',
      () =>
        pushBranch(committed.workspace.path, {
          branch: committed.branch,
          commit: committed.commit,
          ...(forge.gitAuth ? { gitEnvironment: forge.gitAuth(task.repository) } : {}),
        }),
      () => `${committed.branch} confirmed on the remote`,
    );
    return committed;
  },
};

/** The open pull request of `branch`, or a new one (idempotent across a resume). */
async function findOrOpenPullRequest(run: WorkflowRun, branch: string): Promise<PullRequest> {
  const { task, settings } = run;
  const { forge } = run.dependencies;
  const existing = (await forge.listPullRequests(task.repository)).find((candidate) => candidate.head === branch && candidate.state === 'open');
  if (existing) return existing;
  const incidentUrl = task.incident_id && settings.incidentUrl ? settings.incidentUrl(task.incident_id) : undefined;
  return forge.openPullRequest({
    repository: task.repository,
    head: branch,
    base: task.base_branch ?? 'main',
    title: `[atb] ${task.requirement.split('\n')[0]?.slice(0, 80)}`,
    body: pullRequestBody(task, incidentUrl),
    labels: ['atb', 'automated', ...(task.incident_id ? ['incident'] : [])],
  });
}

/** `pull_request`: through the forge; the task is `completed` only once it exists. */
export const openPullRequest: WorkflowStep<Committed, never> = {
  name: 'pull_request',
  async run(run, committed) {
    const pullRequest = await run.recorder.step(
      'pull_request',
      () => findOrOpenPullRequest(run, committed.branch),
      (pull) => pull.url,
    );
    run.task.pull_request = { number: pullRequest.number, url: pullRequest.url, state: pullRequest.state };
    return new TaskEnding('completed');
  },
};
