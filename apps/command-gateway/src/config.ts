import { llmConfigShape } from '@atb/llm/settings-and-usage';
import { baseConfigShape, type Environment, integer, list, loadConfig } from '@atb/service-kit';
import { z } from 'zod';
import { runtimeConfigShape } from './runtime/runtime-config.js';

/** Settings of the command-gateway; each field documents its default. */
export const configSchema = z
  .object({
    ...baseConfigShape({ port: 8003, dataDirectory: '.data/command-gateway' }),
    /** GATEWAY_RUNTIME (auto|docker|process), DOCKER_HOST, ATB_CONTROL_FILE: see runtime/runtime-config.ts. */
    ...runtimeConfigShape,
    /**
     * Bearer token callers must send. Required in production; in development, when unset, one is
     * generated at first start into `<DATA_DIR>/api-token` (0600) and read back afterwards.
     */
    AI_COMMAND_GATEWAY_TOKEN: z.string().min(16, 'expected at least 16 characters').optional(),
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
    /** Deadline of one operation in seconds (an intent may only narrow it); default 30. */
    AI_COMMAND_GATEWAY_TIMEOUT: integer(30, 1, 600),
    /** Audit log and idempotency records; default SQLite at `<DATA_DIR>/gateway.db`. */
    DATABASE_URL: z.string().min(1).optional(),
    /** YAML or JSON policy file (targets, sources, rate limits, limits); default: the built-in policy. */
    GATEWAY_POLICY_FILE: z.string().min(1).optional(),
    /** Comma-separated container names (or `label:key=value`) added to the allowlist; default none. */
    GATEWAY_ALLOWED_TARGETS: list([]),
    /** LLM for intents the rules cannot read (LLM_PROVIDER, LLM_MODEL, keys, budgets): packages/llm/README.md; default none. */
    ...llmConfigShape,
    /** Restarts allowed per target in the window; default 3 (from the policy). */
    GATEWAY_RESTART_LIMIT: z.coerce.number().int().min(0).max(10_000).optional(),
    /** The restart window in seconds; default 600 (from the policy). */
    GATEWAY_RESTART_WINDOW_SECONDS: z.coerce.number().int().min(1).max(86_400).optional(),
    /**
     * How long a replica's claim on a request id lasts unless renewed (every third of it): a
     * replica that dies mid-command hands the retry to another after at most this. Default 15.
     */
    GATEWAY_CLAIM_LEASE_SECONDS: z.coerce.number().min(0.1).max(600).default(15),
  })
  .superRefine((config, context) => {
    if (config.ENVIRONMENT === 'production' && !config.AUDIT_HMAC_KEY && !config.AUDIT_HMAC_KEY_FILE) {
      context.addIssue({
        code: 'custom',
        path: ['AUDIT_HMAC_KEY'],
        message: 'required when ENVIRONMENT=production (or AUDIT_HMAC_KEY_FILE): the audit chain is keyed',
      });
    }
    if (config.ENVIRONMENT === 'production' && !config.AI_COMMAND_GATEWAY_TOKEN) {
      context.addIssue({
        code: 'custom',
        path: ['AI_COMMAND_GATEWAY_TOKEN'],
        message: 'required when ENVIRONMENT=production (the gateway has no unauthenticated mode)',
      });
    }
  });

export type Config = z.output<typeof configSchema>;

export function readConfig(environment?: Environment): Config {
  return loadConfig(configSchema, environment);
}
