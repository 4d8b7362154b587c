import { type CommandPlan, commandPlanSchema, HIGH_RISK_OPERATIONS, OPERATIONS, type Operation } from '@atb/contracts';
import { checkName } from './names.js';
import type { Policy } from './policy.js';
import type { Rejection } from './rejection.js';

/** A plan that passed {@link validatePlan}: the only kind the executor accepts. */
export interface ValidatedPlan {
  readonly operation: Operation;
  readonly target: string;
  readonly params: {
    /** logs: lines from the end, 1..policy.limits.max_log_lines. */
    readonly tail?: number;
    /** Deadline for the operation, 1..AI_COMMAND_GATEWAY_TIMEOUT seconds (narrowing only). */
    readonly timeout_seconds?: number;
  };
  /** Brand: only validatePlan makes these. */
  readonly validated: true;
}

export interface ValidationContext {
  sourceId: string;
  /**
   * The request's `target_resource.name`: the plan must operate on this target and no other, so
   * an interpreter (a model) cannot pick another allowlisted container, and the audit's requested
   * target is always the one operated on. Ignored for `list`, which names no target.
   */
  requestedTarget: string;
  policy: Policy;
  /** AI_COMMAND_GATEWAY_TIMEOUT in seconds: the longest deadline a plan may ask for. */
  maxTimeoutSeconds: number;
  /** The labels of a container, for label-based allowlisting; `undefined` when it does not exist. */
  labelsOf?: (name: string) => Promise<Record<string, string> | undefined>;
}

export type PlanValidation = { ok: true; plan: ValidatedPlan } | { ok: false; rejection: Rejection };

const PARAMETERS: Record<Operation, readonly string[]> = {
  restart: ['timeout_seconds'],
  start: ['timeout_seconds'],
  stop: ['timeout_seconds'],
  logs: ['tail', 'timeout_seconds'],
  inspect: ['timeout_seconds'],
  stats: ['timeout_seconds'],
  list: ['timeout_seconds'],
  rollback: ['timeout_seconds'],
};

/**
 * The one gate every plan passes, whichever interpreter proposed it (rules or an LLM): the
 * operation is one of the closed set, the source and target names are strict ASCII names, the
 * target is the requested one, the source may request that operation, the target is allowlisted by name or label, and every
 * parameter is known and within bounds. Accepts `unknown` on purpose: a model's output is
 * untrusted input.
 */
export async function validatePlan(candidate: unknown, context: ValidationContext): Promise<PlanValidation> {
  const reject = (code: Rejection['code'], reason: string): PlanValidation => ({ ok: false, rejection: { code, reason } });
  const operationValue = (candidate as { operation?: unknown } | null)?.operation;
  if (typeof operationValue !== 'string' || !(OPERATIONS as readonly string[]).includes(operationValue)) {
    return reject(
      'unknown_operation',
      `operation ${JSON.stringify(operationValue)} is not one of ${OPERATIONS.join(', ')}`,
    );
  }
  const parsed = commandPlanSchema.safeParse(candidate);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return reject('invalid_parameter', `plan.${issue?.path.join('.') ?? ''}: ${issue?.message ?? 'invalid plan'}`);
  }
  const plan: CommandPlan = parsed.data;
  const sourceProblem = checkName(context.sourceId);
  if (sourceProblem) return reject('invalid_source_id', `source_id ${sourceProblem}`);
  const targetProblem = checkName(plan.target);
  if (targetProblem) return reject('invalid_target_name', `target name ${JSON.stringify(plan.target)} ${targetProblem}`);

  if (plan.operation !== 'list' && plan.target !== context.requestedTarget) {
    return reject(
      'target_mismatch',
      `plan target "${plan.target}" is not the requested target_resource.name "${context.requestedTarget}"; a plan operates on the requested target only`,
    );
  }

  const source = Object.hasOwn(context.policy.sources, context.sourceId) ? context.policy.sources[context.sourceId] : undefined;
  if (!source) {
    return reject('operation_not_allowed', `source_id "${context.sourceId}" is not granted any operation by the gateway policy`);
  }
  if (!source.operations.includes(plan.operation)) {
    return reject(
      'operation_not_allowed',
      `source_id "${context.sourceId}" may not ${plan.operation}; it may: ${source.operations.join(', ') || 'nothing'}`,
    );
  }

  const limited = source.targets?.[plan.operation];
  if ((limited || HIGH_RISK_OPERATIONS.has(plan.operation)) && !limited?.includes(plan.target)) {
    return reject(
      'operation_not_allowed',
      `source_id "${context.sourceId}" may not ${plan.operation} "${plan.target}": ${plan.operation} is granted per target (policy sources.${context.sourceId}.targets.${plan.operation}: ${limited?.join(', ') || 'none'})`,
    );
  }

  // `list` reads the allowlisted containers only, whatever target was named.
  if (plan.operation !== 'list' && !(await isAllowlisted(plan.target, context))) {
    return reject('not_allowlisted', `target "${plan.target}" is not on the gateway's allowlist`);
  }

  const params: { tail?: number; timeout_seconds?: number } = {};
  for (const [key, value] of Object.entries(plan.params)) {
    if (!PARAMETERS[plan.operation].includes(key)) {
      return reject('invalid_parameter', `parameter "${key}" is not accepted for ${plan.operation}`);
    }
    if (typeof value !== 'number' || !Number.isInteger(value)) {
      return reject('invalid_parameter', `parameter "${key}" must be a whole number, got ${JSON.stringify(value)}`);
    }
    if (key === 'tail') {
      const max = context.policy.limits.max_log_lines;
      if (value < 1 || value > max) return reject('invalid_parameter', `log lines must be between 1 and ${max}, got ${value}`);
      params.tail = value;
    } else {
      const max = context.maxTimeoutSeconds;
      if (value < 1 || value > max) return reject('invalid_parameter', `timeout must be between 1 and ${max} seconds, got ${value}`);
      params.timeout_seconds = value;
    }
  }
  if (plan.operation === 'logs' && params.tail === undefined) params.tail = context.policy.limits.default_log_lines;
  return { ok: true, plan: { operation: plan.operation, target: plan.target, params, validated: true } };
}

async function isAllowlisted(target: string, context: ValidationContext): Promise<boolean> {
  if (context.policy.targets.names.includes(target)) return true;
  const wanted = Object.entries(context.policy.targets.labels);
  if (wanted.length === 0 || !context.labelsOf) return false;
  const labels = await context.labelsOf(target);
  if (!labels) return false;
  return wanted.some(([key, value]) => Object.hasOwn(labels, key) && labels[key] === value);
}

/** Whether a container is allowlisted by name or labels (for filtering `list`). */
export function matchesAllowlist(policy: Policy, name: string, labels: Record<string, string>): boolean {
  if (policy.targets.names.includes(name)) return true;
  return Object.entries(policy.targets.labels).some(([key, value]) => Object.hasOwn(labels, key) && labels[key] === value);
}
