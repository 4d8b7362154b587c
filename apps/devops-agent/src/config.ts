import { llmConfigShape } from '@atb/llm';
import {
  baseConfigShape,
  boolean,
  decimal,
  type Environment,
  integer,
  list,
  loadConfig,
  optionalUrl,
  redisConfigShape,
  url,
} from '@atb/service-kit';
import { z } from 'zod';

const optionalSecret = () => z.string().min(1).optional();

/** Settings of the devops-agent; each field documents its default. Durations are in seconds. */
export const configSchema = z
  .object({
    ...baseConfigShape({ port: 8001, dataDirectory: '.data/devops-agent' }),
    /** SQLite file path or `postgres://…`; default `<DATA_DIR>/devops-agent.sqlite`. */
    DATABASE_URL: z.string().min(1).optional(),
    /** `REDIS_URL`: the jobs run from BullMQ (the jobs table their outbox) and replicas elect their pollers through Redis; default none — the database does both. `REDIS_PREFIX`: default `atb`. */
    ...redisConfigShape(),
    /** Seconds a replica's leadership of a polled service lasts without renewal; a dead leader's polling moves on after it. Default 15. */
    LEADER_LEASE_SECONDS: decimal(15, 0.3, 3600),
    /** PostgreSQL only: the schema holding the agent's tables; default devops_agent. */
    DATABASE_SCHEMA: z
      .string()
      .regex(/^[a-z_][a-z0-9_]{0,62}$/, 'expected lowercase letters, digits and _')
      .default('devops_agent'),
    /** Basic auth user Alertmanager sends (`http_config.basic_auth`); unset = no basic auth. */
    WEBHOOK_USERNAME: optionalSecret(),
    /** Basic auth password; required together with WEBHOOK_USERNAME. */
    WEBHOOK_PASSWORD: optionalSecret(),
    /** Bearer token Alertmanager sends (`http_config.authorization`); unset = no bearer auth. */
    WEBHOOK_BEARER_TOKEN: optionalSecret(),
    /**
     * Bearer token of the agent's state-changing routes (approve, reject, monitoring controls).
     * Required in production; in development, when unset, one is generated at first start into
     * `<DATA_DIR>/api-token` (0600) and read back afterwards.
     */
    AGENT_API_TOKEN: z.string().min(16, 'expected at least 16 characters').optional(),
    /**
     * HMAC key of the audit chain (at least 32 characters). Required in production (or
     * AUDIT_HMAC_KEY_FILE); in development, when unset, one is generated at first start into
     * `<DATA_DIR>/audit-hmac-key` (0600) and read back afterwards.
     */
    AUDIT_HMAC_KEY: z.string().min(32, 'expected at least 32 characters').optional(),
    /** File holding the audit HMAC key (e.g. a mounted secret); default unset. */
    AUDIT_HMAC_KEY_FILE: z.string().min(1).optional(),
    /** File the audit chain head is appended to (0600), checked by verify; default `<DATA_DIR>/audit-anchor`. */
    AUDIT_ANCHOR_FILE: z.string().min(1).optional(),
    /** Also require AGENT_API_TOKEN on read routes and the dashboard (not /health, /status, /metrics, /docs); default false. */
    AGENT_API_READ_AUTH: boolean(false),
    /**
     * Whether reading the dashboard needs a signed-in session (deciding always does): `true` or
     * `false`; default true when ENVIRONMENT=production or AGENT_API_READ_AUTH=true, else false.
     */
    DASHBOARD_SIGN_IN_REQUIRED: z
      .enum(['true', 'false'], { error: 'expected true or false' })
      .transform((value) => value === 'true')
      .optional(),
    /** Seconds between the dashboard's panel refreshes besides the live timeline stream (status, monitoring); default 3. */
    DASHBOARD_REFRESH_SECONDS: integer(3, 1, 3600),
    /** Seconds a dashboard session lasts from sign-in; default 28800 (8 hours). */
    DASHBOARD_SESSION_TTL: integer(28_800, 1, 30 * 86_400),
    /** Header a trusted reverse proxy (oauth2-proxy) puts the signed-in user in, e.g. X-Forwarded-User; unset = no proxy sign-in. */
    DASHBOARD_PROXY_USER_HEADER: z
      .string()
      .regex(/^[A-Za-z0-9-]{1,64}$/, 'expected a header name')
      .transform((value) => value.toLowerCase())
      .optional(),
    /** Addresses of the reverse proxies whose user header is believed (the socket's peer address); default none. */
    DASHBOARD_TRUSTED_PROXIES: list([]),
    /** Roles of proxy-signed-in users, as `name=role` pairs (viewer, operator, admin); default none. */
    DASHBOARD_PROXY_ROLES: list([]),
    /** Role of a proxy-signed-in user not in DASHBOARD_PROXY_ROLES; default viewer. */
    DASHBOARD_PROXY_DEFAULT_ROLE: z.enum(['viewer', 'operator', 'admin']).default('viewer'),
    /** Characters of each alert annotation that analysis (rules and LLM) sees; the stored alert keeps the full text; default 4096. */
    ANALYSIS_ANNOTATION_LIMIT: integer(4096, 64, 1_000_000),
    /** Largest webhook body in bytes (larger → 413); default 5 MiB. */
    WEBHOOK_BODY_LIMIT: integer(5 * 1024 * 1024, 1024, 100 * 1024 * 1024),
    /**
     * The service catalog (YAML): every service watched and healed, how alerts map to it, its
     * health check, target, owners, repository and runbook overrides (docs/service-catalog.md).
     * Reloaded on change. Unset: a one-entry catalog from MONITORED_SERVICE, MARKET_PREDICTOR_URL,
     * MONITORING_INTERVAL, HEALTH_CHECK_TIMEOUT, SLOW_RESPONSE_THRESHOLD_MS and CODING_TASK_REPOSITORY.
     */
    SERVICES_FILE: z.string().min(1).optional(),
    /** Seconds between checks of SERVICES_FILE for changes; default 2. */
    SERVICES_RELOAD_INTERVAL: decimal(2, 0.05, 3600),
    /** Most health probes in flight at once across all services; default 32. */
    MONITORING_CONCURRENCY: integer(32, 1, 1024),
    /** Seconds the agent reuses the gateway's effective policy (GET /policy) before asking again; default 30. */
    GATEWAY_POLICY_TTL: decimal(30, 0, 3600),
    /** The service kept healthy; default http://127.0.0.1:8000. */
    MARKET_PREDICTOR_URL: url('http://127.0.0.1:8000'),
    /** Container/service name of the target (the gateway's target_resource.name); default market-predictor. */
    MONITORED_SERVICE: z.string().min(1).default('market-predictor'),
    /** Seconds between polling-mode health checks; default 30. */
    MONITORING_INTERVAL: decimal(30, 0.05, 86_400),
    /** Seconds before a health check counts as failed; default 10. */
    HEALTH_CHECK_TIMEOUT: decimal(10, 0.05, 600),
    /** Seconds after a first failed health check before it is re-checked (one lost packet is not an incident); 0 = raise at once; default 0.5. */
    HEALTH_RECHECK_DELAY: decimal(0.5, 0, 60),
    /** Seconds the re-check waits for an answer (at most HEALTH_CHECK_TIMEOUT); default 2. */
    HEALTH_RECHECK_TIMEOUT: decimal(2, 0.05, 600),
    /** Health answers slower than this (ms) raise a "slow" alert; default 2000. */
    SLOW_RESPONSE_THRESHOLD_MS: integer(2000, 1),
    /** Seconds the analysis may spend gathering evidence (health, inspect, logs, PromQL) before deciding; a source still out is recorded unavailable; default 8. */
    EVIDENCE_BUDGET_SECONDS: decimal(8, 0.05, 120),
    /** Start polling mode at start-up; default false (start with POST /control/start-monitoring). */
    MONITORING_AUTOSTART: boolean(false),
    /** Prometheus for PromQL evidence; unset = no PromQL. */
    PROMETHEUS_URL: optionalUrl(),
    /** Loki for log evidence when the gateway cannot read a target's logs, and the LogQL tool of LLM investigations; unset = neither. */
    LOKI_URL: optionalUrl(),
    /** LogQL stream selector of a target's lines ({service} and {container} replaced); default {service="{service}"}. */
    LOKI_EVIDENCE_SELECTOR: z.string().min(3).max(500).default('{service="{service}"}'),
    /** LLM_PROVIDER (none|openai|anthropic|openai-compatible), LLM_MODEL, keys, budgets…: packages/llm/README.md. */
    ...llmConfigShape,
    /** Seconds a PromQL result is reused; default 60. */
    METRICS_CACHE_TTL: integer(60, 0),
    /** The command gateway; default http://127.0.0.1:8003. */
    AI_COMMAND_GATEWAY_URL: url('http://127.0.0.1:8003'),
    /** Seconds per gateway request; default 30. */
    AI_COMMAND_GATEWAY_TIMEOUT: decimal(30, 0.05, 600),
    /** source_id sent to the gateway; default devops-agent. */
    AI_COMMAND_GATEWAY_SOURCE_ID: z.string().min(1).max(128).default('devops-agent'),
    /** Gateway bearer token; default: read from AI_COMMAND_GATEWAY_TOKEN_FILE. Required in production. */
    AI_COMMAND_GATEWAY_TOKEN: optionalSecret(),
    /** File holding the gateway token in development (this agent's machine token, which the gateway provisions); default .data/command-gateway/devops-agent-token. */
    AI_COMMAND_GATEWAY_TOKEN_FILE: z.string().min(1).default('.data/command-gateway/devops-agent-token'),
    /**
     * Follow the gateway's container events (`GET /events`): a death, OOM kill or unhealthy report
     * of an allowlisted container opens an incident at once; default true.
     */
    GATEWAY_EVENTS: boolean(true),
    /** Attempts per gateway request on 5xx/timeouts (exponential backoff); default 3. */
    AI_COMMAND_GATEWAY_RETRIES: integer(3, 1, 10),
    /** Every action waits for a human; default true. */
    SAFETY_MODE: boolean(true),
    /** Four eyes: a `high`-risk action (rollback, stop) runs only after two different principals approve it; default false. */
    REQUIRE_SECOND_APPROVER: boolean(false),
    /** Seconds a pending action waits for approval before it expires; default 3600. */
    APPROVAL_TTL: integer(3600, 1),
    /** Least confidence for an action to run on its own (SAFETY_MODE=false); default 0.7. */
    AUTO_ACTION_MIN_CONFIDENCE: decimal(0.7, 0, 1),
    /** Risk classes that may run on their own; default low,medium. */
    AUTO_ACTION_RISK_CLASSES: list(['low', 'medium']),
    /** Seconds between two automatic actions on one target; default 120. */
    ACTION_COOLDOWN: integer(120, 0),
    /** Most automatic actions per hour across all targets; default 10. */
    ACTION_RATE_LIMIT_PER_HOUR: integer(10, 0),
    /** Failed or ineffective actions on one target that open its circuit; default 3. */
    CIRCUIT_FAILURE_THRESHOLD: integer(3, 1),
    /** Seconds over which failures are counted (and the circuit stays open); default 1800. */
    CIRCUIT_WINDOW: integer(1800, 1),
    /** Alert labels that group alerts into one incident; default service,alertname. */
    INCIDENT_GROUP_BY: list(['service', 'alertname']),
    /** Seconds after resolution within which the same alert re-opens the incident; default 600. */
    INCIDENT_REOPEN_WINDOW: integer(600, 0),
    /** Seconds after an action within which recovery must be seen; default 120. */
    VERIFICATION_WINDOW: decimal(120, 0.1),
    /** Seconds between verification checks; default 5. */
    VERIFICATION_INTERVAL: decimal(5, 0.01),
    /** Runbook file (YAML or JSON); default the shipped config/runbooks.yaml. */
    RUNBOOKS_FILE: z.string().min(1).optional(),
    /** Slack-compatible incoming webhook for escalations; unset = escalations only recorded. */
    ESCALATION_WEBHOOK_URL: optionalUrl(),
    /** Coding agent for code-level incidents; unset = coding tasks kept on the incident. */
    CODING_AGENT_URL: optionalUrl(),
    /** Bearer token for the coding agent (this agent's machine principal there); default: read from CODING_AGENT_TOKEN_FILE. Required in production with CODING_AGENT_URL. */
    CODING_AGENT_TOKEN: optionalSecret(),
    /** File holding the coding agent's token in development; default .data/coding-agent/devops-agent-token. */
    CODING_AGENT_TOKEN_FILE: z.string().min(1).default('.data/coding-agent/devops-agent-token'),
    /** Repository coding tasks are opened against; default market-predictor. */
    CODING_TASK_REPOSITORY: z.string().min(1).default('market-predictor'),
    /** Seconds between polls of an accepted coding task; default 15. */
    CODING_TASK_POLL_INTERVAL: decimal(15, 0.01),
    /** This agent's public URL, for links in escalations; default http://127.0.0.1:<API_PORT>. */
    PUBLIC_URL: optionalUrl(),
    /** Jobs processed at once by the in-process worker; default 4. */
    WORKER_CONCURRENCY: integer(4, 1, 64),
    /** Seconds a replica's claim on a job lasts without renewal (renewed every third); a dead replica's jobs move on after it. Default 30. */
    JOB_LEASE_SECONDS: decimal(30, 0.3),
    /** Deliveries of a job before it becomes a dead letter (shown on /status); default 8. */
    JOB_MAX_ATTEMPTS: integer(8, 1, 100),
    /** This replica's name on its job claims and leadership leases; default host, process id and a random suffix. */
    REPLICA_ID: z.string().min(1).max(200).optional(),
  })
  .superRefine((config, context) => {
    if ((config.WEBHOOK_USERNAME === undefined) !== (config.WEBHOOK_PASSWORD === undefined)) {
      context.addIssue({
        code: 'custom',
        path: [config.WEBHOOK_USERNAME === undefined ? 'WEBHOOK_USERNAME' : 'WEBHOOK_PASSWORD'],
        message: 'WEBHOOK_USERNAME and WEBHOOK_PASSWORD are set together',
      });
    }
    if (config.DASHBOARD_PROXY_USER_HEADER !== undefined && config.DASHBOARD_TRUSTED_PROXIES.length === 0) {
      context.addIssue({
        code: 'custom',
        path: ['DASHBOARD_TRUSTED_PROXIES'],
        message: 'required with DASHBOARD_PROXY_USER_HEADER: the header is believed only from these proxy addresses',
      });
    }
    const badRole = config.DASHBOARD_PROXY_ROLES.find((entry) => !/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}=(viewer|operator|admin)$/.test(entry));
    if (badRole !== undefined) {
      context.addIssue({ code: 'custom', path: ['DASHBOARD_PROXY_ROLES'], message: `expected name=viewer|operator|admin pairs, found ${JSON.stringify(badRole)}` });
    }
    if (config.ENVIRONMENT === 'production' && !config.AUDIT_HMAC_KEY && !config.AUDIT_HMAC_KEY_FILE) {
      context.addIssue({
        code: 'custom',
        path: ['AUDIT_HMAC_KEY'],
        message: 'required when ENVIRONMENT=production (or AUDIT_HMAC_KEY_FILE): the audit chain is keyed',
      });
    }
    if (config.ENVIRONMENT === 'production') {
      if (config.WEBHOOK_BEARER_TOKEN === undefined && config.WEBHOOK_USERNAME === undefined) {
        context.addIssue({
          code: 'custom',
          path: ['WEBHOOK_BEARER_TOKEN'],
          message: 'required in production (or WEBHOOK_USERNAME and WEBHOOK_PASSWORD)',
        });
      }
      if (config.AGENT_API_TOKEN === undefined) {
        context.addIssue({
          code: 'custom',
          path: ['AGENT_API_TOKEN'],
          message: 'required in production (approvals and controls have no unauthenticated mode)',
        });
      }
      if (config.AI_COMMAND_GATEWAY_TOKEN === undefined) {
        context.addIssue({ code: 'custom', path: ['AI_COMMAND_GATEWAY_TOKEN'], message: 'required in production' });
      }
      if (config.CODING_AGENT_URL !== undefined && config.CODING_AGENT_TOKEN === undefined) {
        context.addIssue({ code: 'custom', path: ['CODING_AGENT_TOKEN'], message: 'required in production when CODING_AGENT_URL is set' });
      }
    }
  });

export type Config = z.output<typeof configSchema>;

export function readConfig(environment?: Environment): Config {
  return loadConfig(configSchema, environment);
}
