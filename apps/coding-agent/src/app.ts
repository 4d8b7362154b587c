import { join } from 'node:path';
import { PRODUCT_VERSION } from '@atb/contracts';
import { createLlmMetrics, KyselyUsageStore, type ProviderModel, registerLlmRoutes } from '@atb/llm';
import { openWorkQueue } from '@atb/queue';
import { ApiTokens, assertRole, createService, provisionServiceToken, registerTokenRoutes, requireBearerToken, resolveApiToken, type Service } from '@atb/service-kit';
import { AUDIT_ANCHOR_FILE_NAME, type Database, KyselyAuditLog, KyselyTokenStore, openDatabase, resolveAuditKey } from '@atb/storage';
import type { LanguageModel } from 'ai';
import type { LoggerOptions } from 'pino';
import { registerAuditVerifyRoute } from './api/audit-routes.js';
import { registerTaskRoutes } from './api/task-routes.js';
import type { Config } from './config.js';
import type { Forge } from './forge/forge.js';
import { LocalForge } from './forge/local-forge.js';
import { createCodingModelRouter } from './model/coding-model-router.js';
import { createForge, createSandbox } from './runtime-selection.js';
import type { Sandbox } from './sandbox/sandbox.js';
import { KyselyTaskStore } from './tasks/kysely-task-store.js';
import { TaskEvents } from './tasks/task-events.js';
import { TaskManager } from './tasks/task-manager.js';
import { registerTaskMetrics } from './tasks/task-metrics.js';
import { runWorkflow, type WorkflowSettings } from './workflow/workflow.js';
import { MirroredWorkspaceProvider, type WorkspaceProvider } from './workflow/workspace-provider.js';
import { WorkspaceManager } from './workspace/workspace-manager.js';

export interface BuildOptions {
  logger?: LoggerOptions | false;
  /** Replace the parts chosen from the config (tests, benchmarks). */
  sandbox?: Sandbox;
  forge?: Forge;
  workspaces?: WorkspaceProvider;
  /** The model, instead of the providers built from LLM_* settings (still behind the router). */
  model?: LanguageModel;
  /** Do not take up stored tasks at start-up nor poll the store for work (tests that inspect them). */
  skipRecovery?: boolean;
}

export interface CodingAgent extends Service {
  tasks: TaskManager;
  /** The bootstrap (admin) bearer token of the task API. */
  token: string;
  /** The HMAC-keyed, anchored audit log of every task event. */
  audit: KyselyAuditLog;
}

/** The workflow's settings from the service config. */
export function workflowSettings(config: Config): WorkflowSettings {
  return {
    allowedFileTypes: config.ALLOWED_FILE_TYPES,
    allowCiPaths: config.ALLOW_CI_PATHS,
    maxIterations: config.TASK_MAX_ITERATIONS,
    tokenBudget: config.TASK_TOKEN_BUDGET,
    testTimeoutMs: config.TESTING_TIMEOUT * 1000,
    workflowTimeoutMs: config.WORKFLOW_TIMEOUT * 1000,
    memoryBytes: config.SANDBOX_MEMORY_LIMIT,
    maxWorkspaceBytes: config.MAX_WORKSPACE_SIZE,
    cleanupWorkspaces: config.CLEANUP_WORKSPACES,
    gitUserName: config.GIT_USER_NAME,
    gitUserEmail: config.GIT_USER_EMAIL,
    model: {
      temperature: config.LLM_TEMPERATURE,
      maxOutputTokens: config.LLM_MAX_TOKENS,
      maxPromptCharacters: config.LLM_MAX_REQUEST_CHARS,
    },
    ...(config.TYPESCRIPT_PATH ? { typescriptPath: config.TYPESCRIPT_PATH } : {}),
    ...(config.DEVOPS_AGENT_URL
      ? { incidentUrl: (id: string) => `${config.DEVOPS_AGENT_URL?.replace(/\/$/, '')}/incidents/${encodeURIComponent(id)}` }
      : {}),
  };
}

/**
 * Every route but probes, scrapes and docs needs a token: the bootstrap admin, or a principal's
 * (the devops agent's machine token, provisioned in development where `atb up` hands it over).
 * Creating and cancelling tasks takes the operator role; a viewer reads only.
 */
async function protectRoutes(service: Service, database: Database<unknown>, config: Config, bootstrapToken: string): Promise<void> {
  const tokens = new ApiTokens(await KyselyTokenStore.open(database));
  if (config.ENVIRONMENT !== 'production') await provisionServiceToken(tokens, { name: 'devops-agent', role: 'operator', file: join(config.DATA_DIR, 'devops-agent-token') });
  requireBearerToken(service.app, { token: bootstrapToken, tokens });
  service.app.addHook('onRequest', async (request) => {
    if (!['GET', 'HEAD', 'OPTIONS'].includes(request.method) && request.routeOptions.url !== undefined) assertRole(request, 'operator');
  });
  registerTokenRoutes(service.app, tokens);
}

/**
 * The model tasks use, or why there is none. Model calls are recorded in the task database:
 * GET /llm/usage, llm_* metrics, and a daily budget (LLM_DAILY_TOKEN_BUDGET) that survives restarts.
 */
async function createModel(service: Service, database: Database<unknown>, config: Config, options: BuildOptions) {
  const usage = await KyselyUsageStore.open(database);
  const router = createCodingModelRouter(config, {
    usage,
    onCall: createLlmMetrics(service.metrics.registry),
    ...(options.model ? { model: options.model as ProviderModel } : {}),
  });
  registerLlmRoutes(service.app, { usage, ...(router ? { router } : {}), dailyTokenBudget: config.LLM_DAILY_TOKEN_BUDGET });
  return router ?? 'LLM_PROVIDER is none: set an LLM provider';
}

/** Workspaces cloned from a local mirror of each allowed repository, bounded in size. */
function mirroredWorkspaces(config: Config, forge: Forge): WorkspaceProvider {
  return new MirroredWorkspaceProvider(
    new WorkspaceManager({
      basePath: config.WORKSPACE_BASE_PATH,
      forge,
      allowedRepositories: config.ALLOWED_REPOSITORIES,
      maxWorkspaceBytes: config.MAX_WORKSPACE_SIZE,
    }),
  );
}

/** The forge pull requests go to; the local forge is seeded with `FORGE_SEED_REPOSITORIES`. */
async function openForge(config: Config, options: BuildOptions): Promise<Forge> {
  const forge = options.forge ?? createForge(config);
  if (forge instanceof LocalForge) {
    for (const entry of config.FORGE_SEED_REPOSITORIES) {
      const [repository, path] = [entry.slice(0, entry.indexOf('=')), entry.slice(entry.indexOf('=') + 1)];
      await forge.ensureRepository(repository, path);
    }
  }
  return forge;
}

/** Builds the coding-agent from its configuration: store, task manager, workflow, routes. */
export async function buildCodingAgent(config: Config, options: BuildOptions = {}): Promise<CodingAgent> {
  // Before anything opens: in production a missing CODING_AGENT_API_TOKEN stops the start here.
  const apiToken = resolveApiToken({ configured: config.CODING_AGENT_API_TOKEN, environment: config.ENVIRONMENT, dataDirectory: config.DATA_DIR, variable: 'CODING_AGENT_API_TOKEN', what: 'the coding agent has' });
  // The same: in production the audit chain is keyed or the agent does not start.
  const auditKey = resolveAuditKey({ configured: config.AUDIT_HMAC_KEY, file: config.AUDIT_HMAC_KEY_FILE, environment: config.ENVIRONMENT, dataDirectory: config.DATA_DIR });
  const service = await createService({
    name: 'coding-agent',
    version: PRODUCT_VERSION,
    description: 'Coding tasks: plan, edit, test in a sandbox, commit, push, pull request.',
    config,
    ...(options.logger === undefined ? {} : { logger: options.logger }),
    status: async () => ({
      tasks: { running: manager.runningCount, queued: manager.queuedCount },
      queue: {
        backend: config.REDIS_URL ? 'bullmq' : 'database',
        ...(await manager.queueCounts()),
        dead_letters: await manager.listDeadJobs(10),
      },
    }),
    // Without a sandbox or a model tasks are still accepted but cannot succeed: degraded.
    health: async () => {
      const sandboxProblem = await dependencies.sandbox.available();
      return {
        status: 'healthy' as const,
        checks: {
          sandbox: sandboxProblem
            ? { status: 'degraded' as const, kind: dependencies.sandbox.kind, message: sandboxProblem }
            : { status: 'healthy' as const, kind: dependencies.sandbox.kind },
          model: typeof dependencies.model === 'string' ? { status: 'degraded' as const, message: dependencies.model } : { status: 'healthy' as const },
        },
      };
    },
  });
  const database = openDatabase<unknown>(config.DATABASE_URL ?? join(config.DATA_DIR, 'coding-agent.sqlite'), {
    schema: 'coding_agent',
  });
  const store = await KyselyTaskStore.open(database);
  await protectRoutes(service, database, config, apiToken.token);
  const audit = await KyselyAuditLog.open(database, { key: auditKey, anchorFile: config.AUDIT_ANCHOR_FILE ?? join(config.DATA_DIR, AUDIT_ANCHOR_FILE_NAME) });
  const events = new TaskEvents(store, () => new Date(), audit);
  const stopMetrics = registerTaskMetrics(service.metrics.registry, events);
  if (typeof options.model === 'string' || (options.model && options.model.specificationVersion !== 'v3')) {
    throw new Error('BuildOptions.model must be an AI SDK v3 model object, not a model id');
  }
  const model = await createModel(service, database, config, options);
  const forge = await openForge(config, options);
  const dependencies = {
    settings: workflowSettings(config),
    store,
    events,
    sandbox: options.sandbox ?? createSandbox(config),
    forge,
    workspaces: options.workspaces ?? mirroredWorkspaces(config, forge),
    model,
  };
  // Which replica runs which task: BullMQ with REDIS_URL, otherwise a table in the task database.
  const queue = await openWorkQueue({
    queue: 'coding-tasks',
    database,
    ...(config.REDIS_URL ? { redisUrl: config.REDIS_URL, redisPrefix: config.REDIS_PREFIX } : {}),
    leaseMs: config.TASK_LEASE_SECONDS * 1000,
    maxAttempts: Math.max(config.TASK_QUEUE_MAX_ATTEMPTS, config.TASK_MAX_RESUMES + 2),
  });
  const manager = new TaskManager(store, queue, events, (task, signal) => runWorkflow(task, dependencies, signal), {
    maxConcurrent: config.MAX_CONCURRENT_TASKS,
    maxResumes: config.TASK_MAX_RESUMES,
  });
  registerTaskRoutes(service, { manager, store, events, allowedRepositories: config.ALLOWED_REPOSITORIES, allowCiPaths: config.ALLOW_CI_PATHS });
  registerAuditVerifyRoute(service.app, audit);
  service.onClose(async () => {
    stopMetrics();
    await manager.close();
    await queue.close();
    await audit.close();
    await store.close();
  });
  if (!options.skipRecovery) await recoverTasks(service, manager);
  return Object.assign(service, { tasks: manager, audit, token: apiToken.token });
}

/** Takes up the tasks a previous run left in the store (interrupted ones resume or fail with the reason). */
async function recoverTasks(service: Service, manager: TaskManager): Promise<void> {
  const recovered = await manager.recover();
  if (recovered.interrupted.length + recovered.queued.length > 0) {
    service.app.log.info(recovered, 'tasks taken up from the store (interrupted ones resume or fail with the reason)');
  }
}
