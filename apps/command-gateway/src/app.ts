import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { PRODUCT_VERSION } from '@atb/contracts';
import { ApiTokens, ConfigError, createService, provisionServiceToken, registerTokenRoutes, requireBearerToken, type Service } from '@atb/service-kit';
import { AUDIT_ANCHOR_FILE_NAME, KyselyAuditLog, KyselyTokenStore, openDatabase, resolveAuditKey } from '@atb/storage';
import type { LoggerOptions } from 'pino';
import { resolveApiToken } from './auth/api-token.js';
import { bindSourceToPrincipal } from './auth/source-binding.js';
import { CommandService } from './command-service.js';
import type { Config } from './config.js';
import { ContainerEventHub } from './events/container-event-hub.js';
import { registerEventsRoute } from './events/events-route.js';
import { GatewayOperations } from './events/gateway-operations.js';
import { createGatewayMetrics } from './gateway-metrics.js';
import type { IntentInterpreter } from './interpreter/intent-interpreter.js';
import { InterpreterChain } from './interpreter/interpreter-chain.js';
import { loadLlmInterpreter } from './interpreter/load-llm-interpreter.js';
import { RuleInterpreter } from './interpreter/rule-interpreter.js';
import { loadPolicy, type Policy, PolicyError } from './policy/policy.js';
import { TargetGuard } from './policy/target-guard.js';
import { registerAuditRoutes } from './routes/audit-routes.js';
import { registerExecuteRoute } from './routes/execute-route.js';
import { registerPolicyRoute } from './routes/policy-route.js';
import type { ContainerRuntime } from './runtime/container-runtime.js';
import { createRuntime } from './runtime/create-runtime.js';
import { IdempotencyStore } from './store/idempotency-store.js';
import { IdempotentCommands } from './store/idempotent-commands.js';
import { confirmDispatch } from './execution/confirm-dispatch.js';
import { ImageTracking } from './execution/image-tracking.js';
import { ImageHistoryStore } from './store/image-history-store.js';
import { TargetClaimsStore } from './store/target-claims-store.js';

export interface BuildOptions {
  /** Where operations run. Default: the runtime the configuration selects. */
  runtime?: ContainerRuntime;
  /**
   * A second interpreter (an LLM) asked only when the rule-based one cannot read an intent.
   * Its plans pass the same validator as the rules' plans.
   */
  interpreter?: IntentInterpreter;
  /** pino options, or `false` for silence (tests). */
  logger?: LoggerOptions | false;
  /** Clock for rate-limit windows and token expiry (tests). */
  now?: () => number;
  /** This replica's name on its claims and target locks. Default: host, pid and a random suffix. */
  replicaId?: string;
  /** PostgreSQL schema of the gateway's tables. Default `command_gateway`. */
  databaseSchema?: string;
  /** `GET /events`: events kept for resumes (default 1,000) and the heartbeat interval (default 15 s). */
  events?: { capacity?: number; heartbeatMs?: number };
}

/** The devops agent's development token, inside DATA_DIR (mode 0600). */
export const AGENT_TOKEN_FILE_NAME = 'devops-agent-token';

/** Builds the command-gateway from its configuration. */
export async function buildCommandGateway(config: Config, options: BuildOptions = {}): Promise<Service> {
  const policy = readPolicy(config);
  const token = resolveApiToken({
    configured: config.AI_COMMAND_GATEWAY_TOKEN,
    environment: config.ENVIRONMENT,
    dataDirectory: config.DATA_DIR,
  });
  const auditKey = resolveAuditKey({
    configured: config.AUDIT_HMAC_KEY,
    file: config.AUDIT_HMAC_KEY_FILE,
    environment: config.ENVIRONMENT,
    dataDirectory: config.DATA_DIR,
  });
  const runtime = options.runtime ?? (await createRuntime(config));
  const database = openDatabase<unknown>(config.DATABASE_URL ?? join(config.DATA_DIR, 'gateway.db'), {
    schema: options.databaseSchema ?? 'command_gateway',
  });
  const replicaId = options.replicaId ?? `${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`;
  const operations = new GatewayOperations();
  const events = new ContainerEventHub({ runtime, policy, operations, ...(options.events?.capacity ? { capacity: options.events.capacity } : {}) });
  let service: Service;
  let audit: KyselyAuditLog;
  try {
    audit = await KyselyAuditLog.open(database, {
      key: auditKey,
      anchorFile: config.AUDIT_ANCHOR_FILE ?? join(config.DATA_DIR, AUDIT_ANCHOR_FILE_NAME),
    });
    const store = await IdempotencyStore.open(database);
    const tokens = new ApiTokens(await KyselyTokenStore.open(database), options.now ? () => new Date((options.now as () => number)()) : undefined);
    // In development the devops agent gets its own machine token (its source rights), where `atb up` finds it.
    const agentTokenFile = config.ENVIRONMENT === 'production' ? undefined : join(config.DATA_DIR, AGENT_TOKEN_FILE_NAME);
    if (agentTokenFile) await provisionServiceToken(tokens, { name: 'devops-agent', role: 'operator', file: agentTokenFile });
    // A target lock outlasts the longest operation (deadline plus the executor's grace period).
    const lockMs = (config.AI_COMMAND_GATEWAY_TIMEOUT + 70) * 1000;
    const guard = new TargetGuard(policy, await TargetClaimsStore.open(database), {
      owner: replicaId,
      lockMs,
      ...(options.now ? { now: options.now } : {}),
    });

    service = await createService({
      name: 'command-gateway',
      version: PRODUCT_VERSION,
      description: 'Intent to one allowlisted Docker Engine operation; authenticated and audited.',
      config,
      bodyLimit: 64 * 1024,
      ...(options.logger === undefined ? {} : { logger: options.logger }),
      health: async () => {
        const answers = await runtime.ping({ signal: AbortSignal.timeout(2000) }).catch(() => false);
        return {
          status: 'healthy',
          checks: {
            runtime: answers
              ? { status: 'healthy', kind: runtime.kind }
              : { status: 'degraded', kind: runtime.kind, message: 'the container runtime does not answer' },
          },
        };
      },
      status: () => ({
        runtime: runtime.kind,
        replica: replicaId,
        token: token.origin === 'environment' ? 'AI_COMMAND_GATEWAY_TOKEN' : token.file,
        ...(agentTokenFile ? { agent_token: agentTokenFile } : {}),
        database: database.location,
        events: events.state(),
        policy: {
          targets: policy.targets,
          sources: Object.fromEntries(Object.entries(policy.sources).map(([id, source]) => [id, source.operations])),
          rate_limits: policy.rate_limits,
        },
      }),
    });
    if (token.origin === 'generated') service.app.log.info({ file: token.file }, 'generated an API token');
    service.app.log.info({ runtime: runtime.kind }, `container runtime: ${runtime.kind}`);
    // Rules first; an LLM (LLM_PROVIDER) only for intents the rules cannot read. Same validator for both.
    const fallbackInterpreter = options.interpreter ?? (await loadLlmInterpreter(config, service));
    const commands = new CommandService({
      // Its restarts, stops and starts are remembered, so the events they cause are marked as the gateway's.
      runtime: operations.wrap(runtime),
      interpreter: new InterpreterChain([new RuleInterpreter(), ...(fallbackInterpreter ? [fallbackInterpreter] : [])]),
      policy,
      guard,
      audit,
      images: new ImageTracking(runtime, await ImageHistoryStore.open(database)),
      metrics: createGatewayMetrics(service.metrics.registry),
      timeoutSeconds: config.AI_COMMAND_GATEWAY_TIMEOUT,
      logger: service.app.log,
    });
    // Every route but probes, scrapes and docs, unknown paths included (no probing for routes).
    requireBearerToken(service.app, { token: token.token, tokens });
    bindSourceToPrincipal(service.app, audit);
    registerTokenRoutes(service.app, tokens);
    const idempotent = new IdempotentCommands(
      store,
      (request, requestId, beforeExecute) => operations.runAs(requestId, () => commands.handle(request, requestId, beforeExecute)),
      {
        waitMs: (config.AI_COMMAND_GATEWAY_TIMEOUT + 5) * 1000,
        owner: replicaId,
        leaseMs: config.GATEWAY_CLAIM_LEASE_SECONDS * 1000,
        rerunDispatched: runtime.dedupesOperations === true,
        confirm: (dispatch) => confirmDispatch(runtime, dispatch),
        releaseTarget: (target, requestId) => guard.releaseFor(target, requestId),
      },
    );
    // Only claims of replicas that died mid-request: a live replica sharing the database renews its own.
    await idempotent.settleInterrupted();
    registerExecuteRoute(service.app, idempotent);
    registerAuditRoutes(service.app, audit);
    registerPolicyRoute(service.app, policy, guard);
    registerEventsRoute(service.app, events, options.events?.heartbeatMs ? { heartbeatMs: options.events.heartbeatMs } : {});
    events.start();
  } catch (error) {
    await events.close().catch(() => {});
    await database.close().catch(() => {});
    await runtime.close?.().catch(() => {});
    throw error;
  }
  service.onClose(async () => {
    await events.close();
    await runtime.close?.();
    await audit.close();
    await database.close();
  });
  return service;
}

/** The policy in force; a bad file or allowlist entry becomes a ConfigError naming the variable. */
function readPolicy(config: Config): Policy {
  try {
    return loadPolicy({
      file: config.GATEWAY_POLICY_FILE,
      allowedTargets: config.GATEWAY_ALLOWED_TARGETS,
      restartLimit:
        config.GATEWAY_RESTART_LIMIT === undefined && config.GATEWAY_RESTART_WINDOW_SECONDS === undefined
          ? undefined
          : { max: config.GATEWAY_RESTART_LIMIT ?? 3, window_seconds: config.GATEWAY_RESTART_WINDOW_SECONDS ?? 600 },
    });
  } catch (error) {
    if (!(error instanceof PolicyError)) throw error;
    const received = error.variable === 'GATEWAY_POLICY_FILE' ? config.GATEWAY_POLICY_FILE : config.GATEWAY_ALLOWED_TARGETS.join(',');
    throw new ConfigError([{ variable: error.variable, message: error.problem, received }]);
  }
}
