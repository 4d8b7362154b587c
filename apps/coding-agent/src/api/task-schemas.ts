import { z } from 'zod';
import { TASK_STATUSES } from '../tasks/task.js';

const REPOSITORY = /^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/;
// A safe git branch name: no "..", no leading "-", none of git's forbidden characters.
const BRANCH = /^(?!-)(?!.*\.\.)(?!.*\/\/)[A-Za-z0-9._/-]{1,200}(?<![./])$/;

/** `POST /tasks` body. */
export const createTaskBody = z.object({
  repository: z.string().regex(REPOSITORY, 'expected owner/name'),
  requirement: z.string().trim().min(1, 'expected a non-empty requirement').max(20_000),
  base_branch: z.string().regex(BRANCH, 'expected a git branch name').optional(),
  incident_id: z.string().min(1).max(200).optional(),
  allowed_paths: z
    .array(z.string().min(1).max(500).refine((path) => !path.startsWith('/') && !path.split('/').includes('..'), 'expected a relative path inside the repository'))
    .max(100)
    .optional(),
});

export const taskIdParams = z.object({ id: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'expected a task id') });

export const listTasksQuery = z.object({
  status: z.enum(TASK_STATUSES).optional(),
  repository: z.string().optional(),
  limit: z.coerce.number().int().min(1).max(500).default(50),
});

export const createTaskResponse = z.object({
  task_id: z.string(),
  status: z.string(),
  /** True when an earlier request with the same idempotency key created this task. */
  duplicate: z.boolean(),
  links: z.record(z.string(), z.string()),
});
