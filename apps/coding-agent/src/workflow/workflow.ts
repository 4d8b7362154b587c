import type { ModelRouter } from '@atb/llm';
import type { Forge } from '../forge/forge.js';
import { BudgetExceededError, ModelClient, type ModelSettings } from '../model/model-client.js';
import { planRequirement } from '../planner/planner.js';
import { buildRepositoryMap, renderRepositoryMap } from '../planner/repository-map.js';
import type { Sandbox } from '../sandbox/sandbox.js';
import { checkDiff } from '../security/diff-checks.js';
import type { PathPolicyOptions } from '../security/path-policy.js';
import type { Task } from '../tasks/task.js';
import type { TaskEvents } from '../tasks/task-events.js';
import { LEASE_LOST, SHUTDOWN } from '../tasks/task-manager.js';
import type { TaskStore } from '../tasks/task-store.js';
import { detectCommands } from '../tester/command-detection.js';
import { runInSandbox } from '../tester/run-in-sandbox.js';
import { applyPatch, branchName, commitChanges, diffPaths, pushBranch } from './git-operations.js';
import { implement, WorkflowStop } from './implement-loop.js';
import { pullRequestBody } from './pull-request-body.js';
import { TaskRecorder } from './task-recorder.js';
import { measureDirectorySize } from '../workspace/workspace-size.js';
import type { WorkspaceProvider } from './workspace-provider.js';

/** The settings the workflow needs (from the service config). */
export interface WorkflowSettings {
  allowedFileTypes: string[];
  maxIterations: number;
  tokenBudget: number;
  testTimeoutMs: number;
  workflowTimeoutMs: number;
  memoryBytes: number;
  maxWorkspaceBytes: number;
  cleanupWorkspaces: boolean;
  gitUserName: string;
  gitUserEmail: string;
  model: ModelSettings;
  /** Turns an incident id into a link for the pull request body. */
  incidentUrl?: (incidentId: string) => string;
  /** A TypeScript package on the host for type-checking repositories without their own. */
  typescriptPath?: string;
}

export interface WorkflowDependencies {
  settings: WorkflowSettings;
  store: TaskStore;
  events: TaskEvents;
  sandbox: Sandbox;
  forge: Forge;
  workspaces: WorkspaceProvider;
  /** The model router (the coding agent's door to the providers), or why there is none. */
  model: ModelRouter | string;
  clock?: () => Date;
}


/**
 * Runs (or resumes) one task to a final status: workspace → plan → baseline tests → implement
 * (edit, check, test loop) → security checks → commit → push → pull request. Every step is
 * saved as it completes; a resumed task keeps its plan, baseline and patch, re-creates the
 * workspace at the same base commit and replays what follows. The status becomes `completed`
 * only once the pull request exists (after the push was confirmed with `git ls-remote`).
 */
export async function runWorkflow(task: Task, dependencies: WorkflowDependencies, signal: AbortSignal): Promise<void> {
  const { settings } = dependencies;
  const clock = dependencies.clock ?? (() => new Date());
  const recorder = new TaskRecorder(task, dependencies.store, dependencies.events, clock);
  const timeout = AbortSignal.timeout(settings.workflowTimeoutMs);
  const combined = AbortSignal.any([signal, timeout]);
  let workspacePath: string | undefined;
  const policy: PathPolicyOptions = {
    allowedFileTypes: settings.allowedFileTypes,
    ...(task.allowed_paths ? { allowedPaths: task.allowed_paths } : {}),
  };
  if (task.status !== 'running') {
    task.started_at ??= clock().toISOString();
    await recorder.setStatus('running');
  }
  try {
    if (typeof dependencies.model === 'string') throw new WorkflowStop(`no model: ${dependencies.model}`);
    const model = new ModelClient(dependencies.model, settings.model, {
      taskId: task.task_id,
      tokenBudget: settings.tokenBudget,
      initialUsage: task.tokens,
      initialCostUsd: task.cost_usd,
    });
    const priorModelMs = task.model_ms ?? 0;
    const syncUsage = async () => {
      task.tokens = { ...model.usage };
      task.model_ms = Math.round(priorModelMs + model.modelTimeMs);
      task.cost_usd = Number(model.costUsd.toFixed(6));
      await recorder.save();
    };

    const workspace = await recorder.step(
      'workspace',
      async () => {
        const prepared = await dependencies.workspaces.prepare({
          taskId: task.task_id,
          repository: task.repository,
          remoteUrl: dependencies.forge.remoteUrl(task.repository),
          ...(task.base_branch ? { baseBranch: task.base_branch } : {}),
          ...(task.base_commit ? { baseCommit: task.base_commit } : {}),
        });
        workspacePath = prepared.path;
        task.base_commit ??= prepared.baseCommit;
        task.base_branch ??= prepared.baseBranch;
        const size = await measureDirectorySize(prepared.path, settings.maxWorkspaceBytes);
        if (size > settings.maxWorkspaceBytes) {
          throw new WorkflowStop(`the repository is larger than MAX_WORKSPACE_SIZE (${settings.maxWorkspaceBytes} bytes)`);
        }
        return prepared;
      },
      (prepared) => `${prepared.baseBranch} at ${prepared.baseCommit.slice(0, 12)}`,
    );
    combined.throwIfAborted();
    const commands = await detectCommands(workspace.path, settings.typescriptPath ? { typescriptPath: settings.typescriptPath } : {});
    const repositoryMap = renderRepositoryMap(await buildRepositoryMap(workspace.path));
    const limits = {
      timeoutMs: settings.testTimeoutMs,
      memoryBytes: settings.memoryBytes,
      workspaceLimitBytes: settings.maxWorkspaceBytes,
      fileSizeLimitBytes: settings.maxWorkspaceBytes,
      ...(commands.readOnlyPaths ? { readOnlyPaths: commands.readOnlyPaths } : {}),
      signal: combined,
    };

    if (!recorder.completed('plan')) {
      await recorder.step(
        'plan',
        async () => {
          task.plan = await planRequirement(model, repositoryMap, task.requirement, commands.notes, combined);
          await syncUsage();
        },
        () => `complexity ${task.plan?.complexity}, ${task.plan?.files_to_modify.length} files to modify`,
      );
    }

    if (commands.install) {
      // Every (re)started run has a fresh workspace, so the install runs each time.
      await recorder.log(`install: ${commands.install.join(' ')} (${commands.sources.install})`);
      const install = await runInSandbox(dependencies.sandbox, workspace.path, commands.install, limits);
      if (!install.passed) throw new WorkflowStop(`install failed (${commands.install.join(' ')}):\n${install.output.slice(-1500)}`);
    }

    if (!recorder.completed('baseline')) {
      if (commands.test || commands.check) {
        await recorder.step(
          'baseline',
          async () => {
            // The check too: one that already fails before the change must not block every edit.
            if (commands.check) {
              task.test_results.baseline_check = await runInSandbox(dependencies.sandbox, workspace.path, commands.check, limits);
            }
            if (commands.test) {
              task.test_results.baseline = await runInSandbox(dependencies.sandbox, workspace.path, commands.test, limits);
            }
          },
          () =>
            [
              commands.test ? `tests ${task.test_results.baseline?.passed ? 'passing' : 'failing'} before the change (${commands.sources.test}: ${commands.test.join(' ')})` : 'no test command',
              commands.check ? `check ${task.test_results.baseline_check?.passed ? 'passing' : 'failing'}` : '',
            ]
              .filter(Boolean)
              .join('; '),
        );
      } else {
        await recorder.skip('baseline', 'no test or check command detected');
      }
    }

    let changedPaths: string[];
    if (task.patch === undefined) {
      const outcome = await recorder.step(
        'implement',
        () =>
          implement(recorder, {
            workspace: workspace.path,
            repositoryMap,
            model,
            sandbox: dependencies.sandbox,
            commands,
            policy,
            maxIterations: settings.maxIterations,
            testTimeoutMs: settings.testTimeoutMs,
            memoryBytes: settings.memoryBytes,
            maxWorkspaceBytes: settings.maxWorkspaceBytes,
            signal: combined,
            onUsage: syncUsage,
          }),
        (result) => (result.kind === 'changed' ? `${result.paths.length} files changed in ${task.iterations} iterations` : 'no change needed'),
      );
      if (outcome.kind === 'no_change') {
        task.finished_at = clock().toISOString();
        await recorder.setStatus('no_change_needed', outcome.explanation);
        await dependencies.events.emit(task.task_id, 'task-done', { status: task.status, reason: outcome.explanation });
        return;
      }
      const diff = await diffPaths(workspace.path, task.base_commit as string, outcome.paths);
      if (diff.patch.trim() === '') {
        task.finished_at = clock().toISOString();
        await recorder.setStatus('no_change_needed', 'the edits left the files as they were');
        await dependencies.events.emit(task.task_id, 'task-done', { status: task.status, reason: task.reason });
        return;
      }
      task.patch = diff.patch;
      task.diff_summary = diff.summary;
      changedPaths = diff.summary.files.map((file) => file.path);
      await recorder.save();
    } else {
      changedPaths = task.diff_summary?.files.map((file) => file.path) ?? [];
      await recorder.log('resuming: re-applying the change made before the restart');
      await applyPatch(workspace.path, task.patch);
    }
    combined.throwIfAborted();

    await recorder.step(
      'security',
      async () => {
        const findings = checkDiff(task.patch ?? '', changedPaths, task.allowed_paths ?? []);
        task.security_findings = [...task.security_findings.filter((finding) => finding.rule === 'edit-refused'), ...findings];
        const blocking = findings.filter((finding) => finding.severity === 'block');
        if (blocking.length > 0) {
          throw new WorkflowStop(
            `security checks blocked the change: ${blocking.map((finding) => `${finding.rule} in ${finding.path}: ${finding.message}`).join('; ')}`,
          );
        }
        return findings;
      },
      (findings) => `${findings.length} warnings`,
    );

    task.branch ??= branchName(task.task_id, task.requirement);
    const branch = task.branch;
    const commit = await recorder.step(
      'commit',
      () =>
        commitChanges(workspace.path, {
          branch,
          paths: changedPaths,
          message: `${task.requirement.split('\n')[0]?.slice(0, 72)}\n\nCoding agent task ${task.task_id}${
            task.incident_id ? `\nIncident: ${task.incident_id}` : ''
          }`,
          authorName: settings.gitUserName,
          authorEmail: settings.gitUserEmail,
        }),
      (sha) => sha.slice(0, 12),
    );
    task.commit = commit;
    await recorder.save();
    combined.throwIfAborted();

    await recorder.step(
      'push',
      () =>
        pushBranch(workspace.path, {
          branch,
          commit,
          ...(dependencies.forge.gitAuth ? { gitEnvironment: dependencies.forge.gitAuth(task.repository) } : {}),
        }),
      () => `${branch} confirmed on the remote`,
    );

    const pullRequest = await recorder.step(
      'pull_request',
      async () => {
        const existing = (await dependencies.forge.listPullRequests(task.repository)).find(
          (candidate) => candidate.head === branch && candidate.state === 'open',
        );
        if (existing) return existing;
        const incidentUrl = task.incident_id && settings.incidentUrl ? settings.incidentUrl(task.incident_id) : undefined;
        return dependencies.forge.openPullRequest({
          repository: task.repository,
          head: branch,
          base: task.base_branch ?? 'main',
          title: `[atb] ${task.requirement.split('\n')[0]?.slice(0, 80)}`,
          body: pullRequestBody(task, incidentUrl),
          labels: ['atb', 'automated', ...(task.incident_id ? ['incident'] : [])],
        });
      },
      (pull) => pull.url,
    );
    task.pull_request = { number: pullRequest.number, url: pullRequest.url, state: pullRequest.state };
    task.finished_at = clock().toISOString();
    await recorder.setStatus('completed');
    await dependencies.events.emit(task.task_id, 'task-done', { status: 'completed', pull_request: task.pull_request });
  } catch (error) {
    if (signal.aborted && signal.reason === LEASE_LOST) {
      // Another replica took the task over (this one stalled past its lease): write nothing.
      return;
    }
    if (signal.aborted && signal.reason === SHUTDOWN) {
      // Leave the task `running`: the next start resumes it from its last completed step
      // (an orderly shutdown does not count against TASK_MAX_RESUMES).
      task.interrupted_by_shutdown = true;
      await recorder.save();
      return;
    }
    const reason = signal.aborted
      ? 'cancelled on request'
      : timeout.aborted
        ? `exceeded WORKFLOW_TIMEOUT (${Math.round(settings.workflowTimeoutMs / 1000)} s)`
        : error instanceof BudgetExceededError
          ? `${error.message} (TASK_TOKEN_BUDGET)`
          : error instanceof Error
            ? error.message
            : String(error);
    task.finished_at = clock().toISOString();
    await recorder.setStatus(signal.aborted ? 'cancelled' : 'failed', reason);
    await dependencies.events.emit(task.task_id, 'task-done', { status: task.status, reason });
  } finally {
    if (workspacePath && settings.cleanupWorkspaces && task.status !== 'running' && signal.reason !== LEASE_LOST) {
      await dependencies.workspaces.remove(workspacePath).catch(() => {});
    }
  }
}
