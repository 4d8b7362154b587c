import { planRequirement } from '../planner/planner.js';
import type { Plan } from '../planner/plan.js';
import { buildRepositoryMap, renderRepositoryMap } from '../planner/repository-map.js';
import type { Task, TestRun } from '../tasks/task.js';
import { detectCommands, type RepositoryCommands } from '../tester/command-detection.js';
import { runInSandbox } from '../tester/run-in-sandbox.js';
import { measureDirectorySize } from '../workspace/workspace-size.js';
import { WorkflowStop } from './implement-loop.js';
import type { WorkflowStep } from './step-list.js';
import { sandboxLimits } from './workflow-run.js';
import type { PreparedWorkspace } from './workspace-provider.js';

/** The workspace and what was learnt about the repository in it. */
export interface Surveyed {
  workspace: PreparedWorkspace;
  commands: RepositoryCommands;
  /** The repository map as prompt text. */
  repositoryMap: string;
}

export interface Planned extends Surveyed {
  plan: Plan;
}

export interface Baselined extends Planned {
  /** The test run before any change (undefined without a test command). */
  baseline?: TestRun;
  /** The check run before any change (undefined without a check command). */
  baselineCheck?: TestRun;
}

/**
 * `workspace`: a clean working copy at the task's base commit (the saved one on resume),
 * refused when larger than `MAX_WORKSPACE_SIZE`. Saves the base branch and commit on the task.
 */
export const prepareWorkspace: WorkflowStep<undefined, PreparedWorkspace> = {
  name: 'workspace',
  run: ({ task, recorder, dependencies, settings }) =>
    recorder.step(
      'workspace',
      async () => {
        const prepared = await dependencies.workspaces.prepare({
          taskId: task.task_id,
          repository: task.repository,
          remoteUrl: dependencies.forge.remoteUrl(task.repository),
          ...(task.base_branch ? { baseBranch: task.base_branch } : {}),
          ...(task.base_commit ? { baseCommit: task.base_commit } : {}),
        });
        task.base_commit ??= prepared.baseCommit;
        task.base_branch ??= prepared.baseBranch;
        const size = await measureDirectorySize(prepared.path, settings.maxWorkspaceBytes);
        if (size > settings.maxWorkspaceBytes) {
          throw new WorkflowStop(`the repository is larger than MAX_WORKSPACE_SIZE (${settings.maxWorkspaceBytes} bytes)`);
        }
        return prepared;
      },
      (prepared) => `${prepared.baseBranch} at ${prepared.baseCommit.slice(0, 12)}`,
    ),
};

/** Detects the install, check and test commands and builds the repository map (not a recorded step). */
export const surveyRepository: WorkflowStep<PreparedWorkspace, Surveyed> = {
  name: 'survey',
  async run({ settings }, workspace) {
    const commands = await detectCommands(workspace.path, settings.typescriptPath ? { typescriptPath: settings.typescriptPath } : {});
    const repositoryMap = renderRepositoryMap(await buildRepositoryMap(workspace.path));
    return { workspace, commands, repositoryMap };
  },
};

/** `plan`: the planner's answer, saved on the task; a resumed task keeps the plan it saved. */
export const planChange: WorkflowStep<Surveyed, Planned> = {
  name: 'plan',
  async run(run, surveyed) {
    const { task, recorder } = run;
    if (recorder.completed('plan') && task.plan) return { ...surveyed, plan: task.plan };
    const plan = await recorder.step(
      'plan',
      async () => {
        task.plan = await planRequirement(run.model, surveyed.repositoryMap, task.requirement, surveyed.commands.notes, run.signal);
        await run.syncUsage();
        return task.plan;
      },
      (saved) => `complexity ${saved.complexity}, ${saved.files_to_modify.length} files to modify`,
    );
    return { ...surveyed, plan };
  },
};

/** The repository's install command, in the sandbox; every (re)started run has a fresh workspace, so it runs each time. */
export const installDependencies: WorkflowStep<Planned, Planned> = {
  name: 'install',
  async run(run, planned) {
    const { install } = planned.commands;
    if (!install) return planned;
    await run.recorder.log(`install: ${install.join(' ')} (${planned.commands.sources.install})`);
    const result = await runInSandbox(run.dependencies.sandbox, planned.workspace.path, install, sandboxLimits(run, planned.commands));
    if (!result.passed) throw new WorkflowStop(`install failed (${install.join(' ')}):\n${result.output.slice(-1500)}`);
    return planned;
  },
};

function baselineDetail(commands: RepositoryCommands, baselined: Baselined): string {
  return [
    commands.test
      ? `tests ${baselined.baseline?.passed ? 'passing' : 'failing'} before the change (${commands.sources.test}: ${commands.test.join(' ')})`
      : 'no test command',
    commands.check ? `check ${baselined.baselineCheck?.passed ? 'passing' : 'failing'}` : '',
  ]
    .filter(Boolean)
    .join('; ');
}

/** The baseline runs saved on the task record, as the step's output. */
function savedBaseline(task: Task, planned: Planned): Baselined {
  const { baseline, baseline_check } = task.test_results;
  return { ...planned, ...(baseline ? { baseline } : {}), ...(baseline_check ? { baselineCheck: baseline_check } : {}) };
}

/**
 * `baseline`: the check and the tests once before any change, saved on the task (kept on
 * resume). The check too: one that already fails before the change must not block every edit.
 */
export const runBaseline: WorkflowStep<Planned, Baselined> = {
  name: 'baseline',
  async run(run, planned) {
    const { task, recorder } = run;
    const { commands, workspace } = planned;
    if (recorder.completed('baseline')) return savedBaseline(task, planned);
    if (!commands.test && !commands.check) {
      await recorder.skip('baseline', 'no test or check command detected');
      return planned;
    }
    const limits = sandboxLimits(run, commands);
    const sandbox = run.dependencies.sandbox;
    return recorder.step(
      'baseline',
      async () => {
        if (commands.check) task.test_results.baseline_check = await runInSandbox(sandbox, workspace.path, commands.check, limits);
        if (commands.test) task.test_results.baseline = await runInSandbox(sandbox, workspace.path, commands.test, limits);
        return savedBaseline(task, planned);
      },
      (baselined) => baselineDetail(commands, baselined),
    );
  },
};
