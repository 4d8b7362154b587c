import type { ModelRouter } from '@atb/llm';
import type { Forge } from '../forge/forge.js';
import { ModelClient, type ModelSettings } from '../model/model-client.js';
import type { Sandbox } from '../sandbox/sandbox.js';
import type { PathPolicyOptions } from '../security/path-policy.js';
import type { Task, TaskStatus } from '../tasks/task.js';
import type { TaskEvents } from '../tasks/task-events.js';
import type { TaskStore } from '../tasks/task-store.js';
import type { RepositoryCommands } from '../tester/command-detection.js';
import type { RunLimits } from '../tester/run-in-sandbox.js';
import { TaskRecorder } from './task-recorder.js';
import type { WorkspaceProvider } from './workspace-provider.js';

/** The settings the workflow needs (from the service config). */
export interface WorkflowSettings {
  allowedFileTypes: string[];
  /** ALLOW_CI_PATHS: whether a task's allowed_paths may lift CI definitions at all. */
  allowCiPaths: boolean;
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

/** What every run of a task has, model or not: its record, the recorder and the signals. */
export interface RunControl {
  task: Task;
  recorder: TaskRecorder;
  dependencies: WorkflowDependencies;
  settings: WorkflowSettings;
  clock: () => Date;
  /** Cancellation, shutdown or lease loss (from the task manager). */
  requested: AbortSignal;
  /** `WORKFLOW_TIMEOUT`. */
  timeout: AbortSignal;
  /** Either of the two: what every step and sandbox run obeys. */
  signal: AbortSignal;
}

/**
 * What every step receives: the run's control, the model client and the path policy. It holds
 * no step results: those travel as each step's output into the next step's input.
 */
export interface WorkflowRun extends RunControl {
  model: ModelClient;
  policy: PathPolicyOptions;
  /** Copies the model's token, time and cost counters onto the task record and saves it. */
  syncUsage(): Promise<void>;
}

/** How a task ends when a step finishes it (no change needed) or the last step completes. */
export class TaskEnding {
  constructor(
    readonly status: Extract<TaskStatus, 'completed' | 'no_change_needed'>,
    readonly reason?: string,
  ) {}
}

/** Creates a run's control: the task recorder, and the request signal combined with the timeout. */
export function startRun(task: Task, dependencies: WorkflowDependencies, requested: AbortSignal): RunControl {
  const clock = dependencies.clock ?? (() => new Date());
  const timeout = AbortSignal.timeout(dependencies.settings.workflowTimeoutMs);
  return {
    task,
    recorder: new TaskRecorder(task, dependencies.store, dependencies.events, clock),
    dependencies,
    settings: dependencies.settings,
    clock,
    requested,
    timeout,
    signal: AbortSignal.any([requested, timeout]),
  };
}

/** Adds the model client (counting on from the usage a resumed task already spent) and the path policy. */
export function withModel(control: RunControl, router: ModelRouter): WorkflowRun {
  const { task, settings, recorder } = control;
  const model = new ModelClient(router, settings.model, {
    taskId: task.task_id,
    tokenBudget: settings.tokenBudget,
    initialUsage: task.tokens,
    initialCostUsd: task.cost_usd,
  });
  const priorModelMs = task.model_ms ?? 0;
  return {
    ...control,
    model,
    policy: {
      allowedFileTypes: settings.allowedFileTypes,
      allowCiPaths: settings.allowCiPaths,
      ...(task.allowed_paths ? { allowedPaths: task.allowed_paths } : {}),
    },
    async syncUsage() {
      task.tokens = { ...model.usage };
      task.model_ms = Math.round(priorModelMs + model.modelTimeMs);
      task.cost_usd = Number(model.costUsd.toFixed(6));
      await recorder.save();
    },
  };
}

/** The sandbox limits of install, check and test runs. */
export function sandboxLimits(run: WorkflowRun, commands: RepositoryCommands): RunLimits {
  return {
    timeoutMs: run.settings.testTimeoutMs,
    memoryBytes: run.settings.memoryBytes,
    workspaceLimitBytes: run.settings.maxWorkspaceBytes,
    fileSizeLimitBytes: run.settings.maxWorkspaceBytes,
    ...(commands.readOnlyPaths ? { readOnlyPaths: commands.readOnlyPaths } : {}),
    signal: run.signal,
  };
}
