import type { Plan } from '../planner/plan.js';

/** Where a task is in its life. `completed` means the pull request exists. */
export const TASK_STATUSES = ['queued', 'running', 'completed', 'no_change_needed', 'failed', 'cancelled'] as const;
export type TaskStatus = (typeof TASK_STATUSES)[number];

/** Statuses a task never leaves. */
export const FINAL_STATUSES: readonly TaskStatus[] = ['completed', 'no_change_needed', 'failed', 'cancelled'];

/** The workflow's steps, in order. */
export const STEP_NAMES = [
  'workspace',
  'plan',
  'baseline',
  'implement',
  'security',
  'commit',
  'push',
  'pull_request',
] as const;
export type StepName = (typeof STEP_NAMES)[number];

export interface TaskStep {
  name: StepName;
  status: 'running' | 'completed' | 'failed' | 'skipped';
  started_at: string;
  finished_at?: string;
  duration_ms?: number;
  detail?: string;
}

export interface TestRun {
  command: string[];
  passed: boolean;
  exit_code: number | null;
  timed_out: boolean;
  out_of_memory: boolean;
  disk_limit_exceeded?: boolean;
  duration_ms: number;
  /** Per-test outcomes when the output could be parsed (TAP, pytest). */
  tests?: { name: string; passed: boolean }[];
  /** The tail of the output, bounded. */
  output: string;
}

export interface EditReport {
  iteration: number;
  path: string;
  outcome: 'applied-exact' | 'applied-whitespace' | 'created' | 'missed' | 'refused';
  detail?: string;
}

export interface SecurityFinding {
  rule: string;
  severity: 'block' | 'warn';
  path?: string;
  line?: string;
  message: string;
}

/** What the task's diff changes, for the API and the pull request. */
export interface DiffSummary {
  files: { path: string; additions: number; deletions: number }[];
  additions: number;
  deletions: number;
}

/** Everything the API shows about a task, and what a restart needs to resume it. */
export interface Task {
  task_id: string;
  repository: string;
  requirement: string;
  base_branch?: string;
  incident_id?: string;
  allowed_paths?: string[];
  status: TaskStatus;
  created_at: string;
  updated_at: string;
  started_at?: string;
  finished_at?: string;
  /** Why the task failed, was cancelled, or why no change was needed. */
  reason?: string;
  steps: TaskStep[];
  plan?: Plan;
  /** Commit the workspace started from (resume checks out the same one). */
  base_commit?: string;
  branch?: string;
  /** The implement step's result, as a patch against base_commit: what a resume replays. */
  patch?: string;
  diff_summary?: DiffSummary;
  edits: EditReport[];
  test_results: {
    /** The test command before any change. */
    baseline?: TestRun;
    /** The check command before any change (a check failing already does not block edits). */
    baseline_check?: TestRun;
    runs: TestRun[];
    final?: TestRun;
    check?: TestRun[];
  };
  security_findings: SecurityFinding[];
  commit?: string;
  pull_request?: { number: number; url: string; state: string };
  tokens: { input: number; output: number; total: number };
  cost_usd: number;
  /** Time spent waiting for the model, summed over calls (and over restarts). */
  model_ms?: number;
  iterations: number;
  /** Times the task was resumed after a crash (orderly shutdowns do not count). */
  resumes: number;
  /** Set when an orderly shutdown interrupted the task; cleared when it resumes. */
  interrupted_by_shutdown?: boolean;
}

export interface NewTask {
  repository: string;
  requirement: string;
  base_branch?: string;
  incident_id?: string;
  allowed_paths?: string[];
}

/** An entry of a task's event stream (also persisted, so a late watcher sees the history). */
export interface TaskEvent {
  seq: number;
  task_id: string;
  type: 'task-step-started' | 'task-step-finished' | 'task-log' | 'task-status-changed' | 'task-done';
  timestamp: string;
  data: Record<string, unknown>;
}
