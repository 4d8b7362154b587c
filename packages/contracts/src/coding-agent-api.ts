import { z } from 'zod';
import type { QueryInput } from './http-api.js';

/**
 * The coding agent's task API: `POST /tasks`, `GET /tasks`, `GET /tasks/:id`,
 * `POST /tasks/:id/cancel`, `GET /tasks/:id/events` (server-sent events). The planner's fields
 * (`complexity`, `files_to_modify`, `new_files_needed`, `dependencies`, `risks`,
 * `estimated_time_minutes`) keep their original names.
 */

/** Where a task is in its life. `completed` means the pull request exists. */
export const TASK_STATUSES = ['queued', 'running', 'completed', 'no_change_needed', 'failed', 'cancelled'] as const;
export const taskStatusSchema = z.enum(TASK_STATUSES);
export type TaskStatusContract = z.infer<typeof taskStatusSchema>;

/** Statuses a task never leaves. */
export const FINAL_TASK_STATUSES: readonly TaskStatusContract[] = ['completed', 'no_change_needed', 'failed', 'cancelled'];

const REPOSITORY = /^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/;
// A safe git branch name: no "..", no leading "-", none of git's forbidden characters.
const BRANCH = /^(?!-)(?!.*\.\.)(?!.*\/\/)[A-Za-z0-9._/-]{1,200}(?<![./])$/;

/** `POST /tasks` body. */
export const createTaskRequestSchema = z.object({
  repository: z.string().regex(REPOSITORY, 'expected owner/name'),
  requirement: z.string().trim().min(1, 'expected a non-empty requirement').max(20_000),
  base_branch: z.string().regex(BRANCH, 'expected a git branch name').optional(),
  incident_id: z.string().min(1).max(200).optional(),
  allowed_paths: z
    .array(z.string().min(1).max(500).refine((path) => !path.startsWith('/') && !path.split('/').includes('..'), 'expected a relative path inside the repository'))
    .max(100)
    .optional(),
});
export type CreateTaskRequest = z.input<typeof createTaskRequestSchema>;

export const taskIdParamsSchema = z.object({ id: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'expected a task id') });

/** `GET /tasks` query. */
export const listTasksQuerySchema = z.object({
  status: taskStatusSchema.optional(),
  repository: z.string().optional(),
  limit: z.coerce.number().int().min(1).max(500).default(50),
});
export type ListTasksQuery = QueryInput<typeof listTasksQuerySchema>;

/** `POST /tasks` answer (202). */
export const createTaskResponseSchema = z.object({
  task_id: z.string(),
  status: taskStatusSchema,
  /** True when an earlier request with the same idempotency key created this task. */
  duplicate: z.boolean(),
  links: z.record(z.string(), z.string()),
});
export type CreateTaskResponse = z.infer<typeof createTaskResponseSchema>;

const pullRequestSchema = z.object({ number: z.number().int(), url: z.string(), state: z.string() });

export const taskStepSchema = z.object({
  name: z.string(),
  status: z.enum(['running', 'completed', 'failed', 'skipped']),
  started_at: z.string(),
  finished_at: z.string().optional(),
  duration_ms: z.number().optional(),
  detail: z.string().optional(),
});

export const testRunSchema = z.object({
  command: z.array(z.string()),
  passed: z.boolean(),
  exit_code: z.number().int().nullable(),
  timed_out: z.boolean(),
  out_of_memory: z.boolean(),
  disk_limit_exceeded: z.boolean().optional(),
  duration_ms: z.number(),
  tests: z.array(z.object({ name: z.string(), passed: z.boolean() })).optional(),
  output: z.string(),
});

/** The planner's answer as a task shows it. */
export const taskPlanSchema = z.object({
  complexity: z.number().int().min(1).max(5),
  files_to_modify: z.array(z.string()),
  new_files_needed: z.array(z.string()),
  dependencies: z.array(z.string()),
  risks: z.array(z.string()),
  estimated_time_minutes: z.number(),
  summary: z.string().optional(),
});

/** `GET /tasks/:id` and `POST /tasks/:id/cancel`: the task with steps, plan, diff, tests, pull request, cost. */
export const taskSchema = z.object({
  task_id: z.string(),
  repository: z.string(),
  requirement: z.string(),
  base_branch: z.string().optional(),
  incident_id: z.string().optional(),
  allowed_paths: z.array(z.string()).optional(),
  status: taskStatusSchema,
  created_at: z.string(),
  updated_at: z.string(),
  started_at: z.string().optional(),
  finished_at: z.string().optional(),
  /** Why the task failed, was cancelled, or why no change was needed. */
  reason: z.string().optional(),
  steps: z.array(taskStepSchema),
  plan: taskPlanSchema.optional(),
  base_commit: z.string().optional(),
  branch: z.string().optional(),
  /** Whether a patch is stored (the patch itself is not returned). */
  has_patch: z.boolean(),
  diff_summary: z
    .object({
      files: z.array(z.object({ path: z.string(), additions: z.number().int(), deletions: z.number().int() })),
      additions: z.number().int(),
      deletions: z.number().int(),
    })
    .optional(),
  edits: z.array(
    z.object({
      iteration: z.number().int(),
      path: z.string(),
      outcome: z.enum(['applied-exact', 'applied-whitespace', 'created', 'missed', 'refused']),
      detail: z.string().optional(),
    }),
  ),
  test_results: z.object({
    baseline: testRunSchema.optional(),
    baseline_check: testRunSchema.optional(),
    runs: z.array(testRunSchema),
    final: testRunSchema.optional(),
    check: z.array(testRunSchema).optional(),
  }),
  security_findings: z.array(
    z.object({
      rule: z.string(),
      severity: z.enum(['block', 'warn']),
      path: z.string().optional(),
      line: z.string().optional(),
      message: z.string(),
    }),
  ),
  commit: z.string().optional(),
  pull_request: pullRequestSchema.optional(),
  tokens: z.object({ input: z.number(), output: z.number(), total: z.number() }),
  cost_usd: z.number(),
  model_ms: z.number().optional(),
  iterations: z.number().int(),
  resumes: z.number().int(),
  interrupted_by_shutdown: z.boolean().optional(),
});
export type TaskView = z.infer<typeof taskSchema>;

/** One row of `GET /tasks` (the requirement cut to 200 characters). */
export const taskSummarySchema = z.object({
  task_id: z.string(),
  repository: z.string(),
  requirement: z.string(),
  status: taskStatusSchema,
  created_at: z.string(),
  updated_at: z.string(),
  incident_id: z.string().optional(),
  pull_request: pullRequestSchema.optional(),
  reason: z.string().optional(),
});
export type TaskSummary = z.infer<typeof taskSummarySchema>;

export const taskListResponseSchema = z.object({
  tasks: z.array(taskSummarySchema),
  running: z.number().int(),
  queued: z.number().int(),
});
export type TaskListResponse = z.infer<typeof taskListResponseSchema>;

export const TASK_EVENT_TYPES = ['task-step-started', 'task-step-finished', 'task-log', 'task-status-changed', 'task-done'] as const;

/** The `data:` of one server-sent event of `GET /tasks/:id/events`; `event:` is its type. */
export const taskEventDataSchema = z.looseObject({
  task_id: z.string(),
  timestamp: z.string(),
  step: z.string().optional(),
  status: z.string().optional(),
  duration_ms: z.number().optional(),
  detail: z.string().optional(),
  message: z.string().optional(),
  reason: z.string().optional(),
  pull_request: pullRequestSchema.partial().optional(),
});
export type TaskEventData = z.infer<typeof taskEventDataSchema>;
