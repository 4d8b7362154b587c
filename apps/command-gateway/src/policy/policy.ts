import { readFileSync } from 'node:fs';
import { type Operation, operationSchema } from '@atb/contracts';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { checkName } from './names.js';

/**
 * What the gateway may do, and for whom: which targets are allowlisted (by container name or
 * label), which operations each `source_id` may request, how often a target may be restarted,
 * and the bounds on parameters. Read once at start-up from `GATEWAY_POLICY_FILE` (YAML or JSON)
 * merged with `GATEWAY_ALLOWED_TARGETS`; see `config/gateway-policy.example.yaml`.
 */
export interface Policy {
  targets: {
    /** Container names that may be operated on. */
    names: string[];
    /** A container carrying any of these `key: value` labels is allowlisted too. */
    labels: Record<string, string>;
  };
  /**
   * Allowed operations per `source_id`. A source that is not listed may do nothing. `targets`
   * limits an operation to the named targets; a high-risk operation (`rollback`) needs it: it is
   * granted per source and per target, never by default.
   */
  sources: Record<string, { operations: Operation[]; targets?: Partial<Record<Operation, string[]>> }>;
  /** Per-target sliding windows: at most `max` operations of that kind in `window_seconds`. */
  rate_limits: Partial<Record<Operation, { max: number; window_seconds: number }>>;
  limits: {
    /** Most log lines one request may read; at most 5,000. */
    max_log_lines: number;
    /** Log lines returned when the intent names no number. */
    default_log_lines: number;
  };
}

const nameSchema = z.string().superRefine((value, context) => {
  const problem = checkName(value);
  if (problem) context.addIssue({ code: 'custom', message: `name "${value}" ${problem}` });
});

/** The policy file's schema; every section is optional and falls back to the default policy. */
export const policyFileSchema = z
  .object({
    targets: z
      .object({
        names: z.array(nameSchema).optional(),
        labels: z.record(z.string().min(1).max(256), z.string().max(256)).optional(),
      })
      .strict()
      .optional(),
    sources: z
      .record(
        nameSchema,
        z.object({ operations: z.array(operationSchema), targets: z.partialRecord(operationSchema, z.array(nameSchema)).optional() }).strict(),
      )
      .optional(),
    rate_limits: z
      .partialRecord(
        operationSchema,
        z.object({ max: z.number().int().min(0).max(10_000), window_seconds: z.number().int().min(1).max(86_400) }).strict(),
      )
      .optional(),
    limits: z
      .object({
        max_log_lines: z.number().int().min(1).max(5000).optional(),
        default_log_lines: z.number().int().min(1).max(5000).optional(),
      })
      .strict()
      .optional(),
  })
  .strict();

/** The policy that works for the local stack (`atb up`) with no file at all. */
export function defaultPolicy(): Policy {
  const agentOperations: Operation[] = ['restart', 'start', 'logs', 'inspect', 'stats', 'list'];
  return {
    targets: { names: ['market-predictor'], labels: {} },
    sources: {
      'devops-agent': { operations: agentOperations },
      // The seed's default AI_COMMAND_GATEWAY_SOURCE_ID; same rights as devops-agent.
      'devops-ai-agent': { operations: agentOperations },
      'atb-cli': { operations: ['restart', 'start', 'stop', 'logs', 'inspect', 'stats', 'list'] },
    },
    rate_limits: { restart: { max: 3, window_seconds: 600 } },
    limits: { max_log_lines: 5000, default_log_lines: 100 },
  };
}

export interface PolicyInputs {
  /** `GATEWAY_POLICY_FILE`: a YAML or JSON file; sections it has replace the default's. */
  file?: string | undefined;
  /** `GATEWAY_ALLOWED_TARGETS`: names, or `label:key=value` entries, added to the allowlist. */
  allowedTargets?: string[];
  /** `GATEWAY_RESTART_LIMIT` / `GATEWAY_RESTART_WINDOW_SECONDS`, when set. */
  restartLimit?: { max: number; window_seconds: number } | undefined;
}

/** Thrown when the policy file or the allowlist variable is unreadable or invalid. */
export class PolicyError extends Error {
  constructor(
    /** The environment variable at fault: GATEWAY_POLICY_FILE or GATEWAY_ALLOWED_TARGETS. */
    readonly variable: string,
    /** What is wrong, without the variable's name. */
    readonly problem: string,
  ) {
    super(`${variable}: ${problem}`);
    this.name = 'PolicyError';
  }
}

/** Builds the effective policy; throws a {@link PolicyError} naming the file or variable. */
export function loadPolicy(inputs: PolicyInputs = {}): Policy {
  const policy = defaultPolicy();
  if (inputs.file) {
    let text: string;
    try {
      text = readFileSync(inputs.file, 'utf8');
    } catch (error) {
      throw new PolicyError('GATEWAY_POLICY_FILE', `cannot read ${inputs.file}: ${(error as Error).message}`);
    }
    let raw: unknown;
    try {
      raw = parseYaml(text);
    } catch (error) {
      throw new PolicyError('GATEWAY_POLICY_FILE', `${inputs.file} is not valid YAML or JSON: ${(error as Error).message}`);
    }
    const parsed = policyFileSchema.safeParse(raw ?? {});
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new PolicyError(
        'GATEWAY_POLICY_FILE',
        `${inputs.file}: ${issue ? `${issue.path.join('.') || '(root)'}: ${issue.message}` : 'invalid'}`,
      );
    }
    const file = parsed.data;
    if (file.targets?.names) policy.targets.names = file.targets.names;
    if (file.targets?.labels) policy.targets.labels = file.targets.labels;
    if (file.sources) policy.sources = file.sources;
    if (file.rate_limits) policy.rate_limits = file.rate_limits;
    if (file.limits) policy.limits = { ...policy.limits, ...file.limits };
  }
  for (const entry of inputs.allowedTargets ?? []) {
    if (entry.startsWith('label:')) {
      const [key, ...rest] = entry.slice('label:'.length).split('=');
      if (!key || rest.length === 0) {
        throw new PolicyError('GATEWAY_ALLOWED_TARGETS', `"${entry}" should be label:key=value`);
      }
      policy.targets.labels[key] = rest.join('=');
      continue;
    }
    const problem = checkName(entry);
    if (problem) throw new PolicyError('GATEWAY_ALLOWED_TARGETS', `name "${entry}" ${problem}`);
    if (!policy.targets.names.includes(entry)) policy.targets.names.push(entry);
  }
  if (inputs.restartLimit) policy.rate_limits.restart = inputs.restartLimit;
  if (policy.limits.default_log_lines > policy.limits.max_log_lines) {
    policy.limits.default_log_lines = policy.limits.max_log_lines;
  }
  return policy;
}
