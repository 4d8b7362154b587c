import { DEFAULT_DOCKER_HOSTS, dockerHostSchema } from '@atb/container-engine';
import { baseConfigShape, boolean, type Environment, integer, list, loadConfig } from '@atb/service-kit';
import { llmConfigShape } from '@atb/llm';
import { z } from 'zod';

const SIZE = /^(\d+(?:\.\d+)?)\s*(B|KB|MB|GB|TB)?$/i;
const SIZE_UNITS: Record<string, number> = { B: 1, KB: 1024, MB: 1024 ** 2, GB: 1024 ** 3, TB: 1024 ** 4 };

/** A byte size such as `1GB`, `512MB` or `1048576`; parsed to bytes. */
const byteSize = (defaultValue: string) =>
  z
    .string()
    .default(defaultValue)
    .transform((value, context) => {
      const match = SIZE.exec(value.trim());
      if (!match) {
        context.addIssue({ code: 'custom', message: 'expected a size such as 1GB, 512MB or a number of bytes' });
        return z.NEVER;
      }
      return Math.round(Number(match[1]) * (SIZE_UNITS[(match[2] ?? 'B').toUpperCase()] ?? 1));
    });

const DEFAULT_FILE_TYPES = [
  '.py', '.md', '.txt', '.json', '.yml', '.yaml', '.ts', '.tsx', '.js', '.jsx', '.mjs', '.cjs', '.mts', '.cts',
  '.css', '.html', '.toml', '.cfg', '.ini',
];

/** Settings of the coding-agent (the documented variable names); each field documents its default. */
export const configSchema = z.object({
  ...baseConfigShape({ port: 8002, dataDirectory: '.data/coding-agent' }),
  /**
   * Bearer token of the task API: the bootstrap admin principal. Default: generated in development
   * into `<DATA_DIR>/api-token` (0600); required in production.
   */
  CODING_AGENT_API_TOKEN: z.string().min(16).optional(),
  /**
   * HMAC key of the task audit chain (at least 32 characters). Required in production (or
   * AUDIT_HMAC_KEY_FILE); in development, when unset, one is generated at first start into
   * `<DATA_DIR>/audit-hmac-key` (0600) and read back afterwards.
   */
  AUDIT_HMAC_KEY: z.string().min(32, 'expected at least 32 characters').optional(),
  /** File holding the audit HMAC key (e.g. a mounted secret); default unset. */
  AUDIT_HMAC_KEY_FILE: z.string().min(1).optional(),
  /** File the audit chain head is appended to (0600), checked by verify; default `<DATA_DIR>/audit-anchor`. */
  AUDIT_ANCHOR_FILE: z.string().min(1).optional(),
  /** Task store: a SQLite path (default `<DATA_DIR>/coding-agent.sqlite`) or `postgres://…`. */
  DATABASE_URL: z.string().min(1).optional(),
  /**
   * `redis://…`: the task queue lives in Redis (BullMQ), shared by every replica. Default: none —
   * the queue is a table in the task database (SQLite, or PostgreSQL shared by replicas).
   */
  REDIS_URL: z
    .string()
    .regex(/^rediss?:\/\//, 'expected a redis:// or rediss:// URL')
    .optional(),
  /** Prefix of the queue's Redis keys, so several deployments can share one Redis; default `atb`. */
  REDIS_PREFIX: z
    .string()
    .regex(/^[A-Za-z0-9_.-]+$/, 'expected letters, digits, _ . or -')
    .default('atb'),
  /** `owner/name` repositories tasks may target; any other gets 403. Default `atb/market-predictor`. */
  ALLOWED_REPOSITORIES: list(['atb/market-predictor']),
  /** Where task workspaces are cloned; default /tmp/coding-agent-workspaces. */
  WORKSPACE_BASE_PATH: z.string().min(1).default('/tmp/coding-agent-workspaces'),
  /** Commit author name; default "Coding AI Agent". */
  GIT_USER_NAME: z.string().min(1).default('Coding AI Agent'),
  /** Commit author email; default coding-agent@example.com. */
  GIT_USER_EMAIL: z.string().min(3).default('coding-agent@example.com'),
  /** Seconds a whole task may take; default 1800. */
  WORKFLOW_TIMEOUT: integer(1800, 1, 86_400),
  /** Seconds one test (or check, or install) run may take in the sandbox; default 600. */
  TESTING_TIMEOUT: integer(600, 1, 86_400),
  /** Tasks running at once; the rest queue. Default 3. */
  MAX_CONCURRENT_TASKS: integer(3, 1, 64),
  /** Delete a task's workspace when it ends; default true. */
  CLEANUP_WORKSPACES: boolean(true),
  /** Run checks and tests in the sandbox (bubblewrap); `false` runs them as plain child processes. Default true. */
  ENABLE_SANDBOXING: boolean(true),
  /** `bubblewrap` (default) or `container` (Docker Engine API at DOCKER_HOST). */
  SANDBOX_RUNTIME: z.enum(['bubblewrap', 'container']).default('bubblewrap'),
  /** Docker Engine API for SANDBOX_RUNTIME=container (Docker or Podman): unix:///path, tcp://host:port or http(s)://host:port; default unix:///var/run/docker.sock. */
  DOCKER_HOST: dockerHostSchema.default(DEFAULT_DOCKER_HOSTS[0]!),
  /** Image of the container sandbox (needs node/git/sh, or set SANDBOX_MOUNT_HOST_USR); default localhost/atb-node-base:latest. */
  SANDBOX_IMAGE: z.string().min(1).default('localhost/atb-node-base:latest'),
  /** Container sandbox: mount the host's /usr read-only into a near-empty image; default true. */
  SANDBOX_MOUNT_HOST_USR: boolean(true),
  /**
   * A TypeScript package directory on this host (e.g. /srv/atb/node_modules/typescript): used,
   * mounted read-only, to type-check repositories that have a tsconfig.json but no tsc of their
   * own. Unset: such repositories get no type-check.
   */
  TYPESCRIPT_PATH: z.string().startsWith('/', 'expected an absolute path').optional(),
  /** Memory limit of one sandboxed run; default 1GB. */
  SANDBOX_MEMORY_LIMIT: byteSize('1GB'),
  /** Largest workspace (checked after cloning and after every edit); default 1GB. */
  MAX_WORKSPACE_SIZE: byteSize('1GB'),
  /**
   * Whether a task's allowed_paths (from an operator or admin person) may lift CI definitions
   * (`.github/workflows/**`, `.gitlab-ci.yml`, …) at all; default false: no task changes CI.
   */
  ALLOW_CI_PATHS: boolean(false),
  /** File extensions the agent may create or edit; default source, docs and config types. */
  ALLOWED_FILE_TYPES: list(DEFAULT_FILE_TYPES),
  /** Tokens (input + output) one task may spend on the model; default 200000. */
  TASK_TOKEN_BUDGET: integer(200_000, 1000),
  /** Edit → check → test rounds per task; default 6. */
  TASK_MAX_ITERATIONS: integer(6, 1, 50),
  /** Times an interrupted task is resumed after a restart before it fails; default 2. */
  TASK_MAX_RESUMES: integer(2, 0, 10),
  /**
   * Seconds a replica's claim on a task lasts without renewal (renewed every third); a crashed
   * replica's tasks are taken over after this. Default 30.
   */
  TASK_LEASE_SECONDS: integer(30, 1, 3600),
  /**
   * Deliveries of a task by the queue (first run, resumes after a crash, hand-overs at shutdown)
   * before it becomes a dead letter; default 10. At least `TASK_MAX_RESUMES` + 2 is used, so a task
   * is failed by the resume rule, with its reason, before the queue gives up on it.
   */
  TASK_QUEUE_MAX_ATTEMPTS: integer(10, 1, 100),
  /** `local` (default: bare repositories under FORGE_PATH, pull-request records) or `github`. */
  FORGE: z.enum(['local', 'github']).default('local'),
  /** Directory of the local forge's bare repositories; default `<DATA_DIR>/forge`. */
  FORGE_PATH: z.string().min(1).optional(),
  /**
   * Local forge only: repositories to create at start-up from a local git repository, as
   * `owner/name=/path/to/repository` pairs (comma-separated); an existing one is left alone.
   */
  FORGE_SEED_REPOSITORIES: list([]).pipe(
    z.array(
      z.string().regex(/^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+=\/.+$/, 'expected owner/name=/absolute/path/to/repository'),
    ),
  ),
  /** GitHub token for the github forge (never logged). */
  GITHUB_TOKEN: z.string().min(1).optional(),
  /** GitHub API base URL (Enterprise: https://host/api/v3); default https://api.github.com. */
  GITHUB_BASE_URL: z.string().url('expected an http(s) URL').default('https://api.github.com'),
  /** Default repository (`owner/name`) for `atb task create` when none is given. */
  GITHUB_REPOSITORY: z.string().optional(),
  /** Turns an incident id into a link for pull request bodies: `<DEVOPS_AGENT_URL>/incidents/<id>`. Optional. */
  DEVOPS_AGENT_URL: z.string().url('expected an http(s) URL').optional(),
  /** The LLM settings of @atb/llm (LLM_PROVIDER, LLM_MODEL, LLM_BASE_URL, keys, LLM_TIMEOUT, …). */
  ...llmConfigShape,
});

export type Config = z.output<typeof configSchema>;

export function readConfig(environment?: Environment): Config {
  return loadConfig(configSchema, environment);
}
