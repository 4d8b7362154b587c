import { checkDiff } from '../security/diff-checks.js';
import { applyPatch, diffPaths } from './git-operations.js';
import { implement, WorkflowStop } from './implement-loop.js';
import type { Baselined } from './prepare-steps.js';
import type { WorkflowStep } from './step-list.js';
import { TaskEnding, type WorkflowRun } from './workflow-run.js';
import type { PreparedWorkspace } from './workspace-provider.js';

/** The change made: saved on the task as a patch against the base commit. */
export interface Changed {
  workspace: PreparedWorkspace;
  patch: string;
  changedPaths: string[];
}

/** Re-applies the patch a task saved before a restart (its implement step had completed). */
async function replaySavedChange(run: WorkflowRun, workspace: PreparedWorkspace, patch: string): Promise<Changed> {
  await run.recorder.log('resuming: re-applying the change made before the restart');
  await applyPatch(workspace.path, patch);
  return { workspace, patch, changedPaths: run.task.diff_summary?.files.map((file) => file.path) ?? [] };
}

/**
 * `implement`: the coder's loop (edit, check, test). Ends the task `no_change_needed` when the
 * model finds nothing to change or its edits leave the files as they were; otherwise saves the
 * patch and its summary on the task. A resumed task with a saved patch re-applies it instead.
 */
export const implementChange: WorkflowStep<Baselined, Changed> = {
  name: 'implement',
  async run(run, baselined) {
    const { task, recorder, settings } = run;
    const { workspace } = baselined;
    if (task.patch !== undefined) return replaySavedChange(run, workspace, task.patch);
    const outcome = await recorder.step(
      'implement',
      () =>
        implement(recorder, {
          workspace: workspace.path,
          repositoryMap: baselined.repositoryMap,
          model: run.model,
          sandbox: run.dependencies.sandbox,
          commands: baselined.commands,
          policy: run.policy,
          maxIterations: settings.maxIterations,
          testTimeoutMs: settings.testTimeoutMs,
          memoryBytes: settings.memoryBytes,
          maxWorkspaceBytes: settings.maxWorkspaceBytes,
          signal: run.signal,
          onUsage: run.syncUsage,
        }),
      (result) => (result.kind === 'changed' ? `${result.paths.length} files changed in ${task.iterations} iterations` : 'no change needed'),
    );
    if (outcome.kind === 'no_change') return new TaskEnding('no_change_needed', outcome.explanation);
    const diff = await diffPaths(workspace.path, workspace.baseCommit, outcome.paths);
    if (diff.patch.trim() === '') return new TaskEnding('no_change_needed', 'the edits left the files as they were');
    task.patch = diff.patch;
    task.diff_summary = diff.summary;
    await recorder.save();
    return { workspace, patch: diff.patch, changedPaths: diff.summary.files.map((file) => file.path) };
  },
};

/**
 * `security`: the diff checks (secrets, protected paths, dangerous patterns) on the change;
 * a blocking finding stops the task. Findings are saved on the task (edit refusals kept).
 */
export const checkSecurity: WorkflowStep<Changed, Changed> = {
  name: 'security',
  async run({ task, recorder, settings }, changed) {
    await recorder.step(
      'security',
      async () => {
        const findings = checkDiff(changed.patch, changed.changedPaths, task.allowed_paths ?? [], { allowCiPaths: settings.allowCiPaths });
        task.security_findings = [...task.security_findings.filter((finding) => finding.rule === 'edit-refused'), ...findings];
        const blocking = findings.filter((finding) => finding.severity === 'block');
        if (blocking.length > 0) {
          const list = blocking.map((finding) => `${finding.rule} in ${finding.path}: ${finding.message}`).join('; ');
          throw new WorkflowStop(`security checks blocked the change: ${list}`);
        }
        return findings;
      },
      (findings) => `${findings.length} warnings`,
    );
    return changed;
  },
};
