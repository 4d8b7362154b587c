import {
  type CommandPlan,
  commandPlanSchema,
  type ExecuteCommandResponse,
  MUTATING_OPERATIONS,
  type OverallStatus,
  type ParsedExecuteCommandRequest,
} from '@atb/contracts';
import { AppError } from '@atb/service-kit';
import type { AuditLog } from '@atb/storage';
import type { FastifyBaseLogger } from 'fastify';
import { dockerCommandFor } from './execution/docker-command.js';
import { executePlan } from './execution/executor.js';
import type { GatewayMetrics } from './gateway-metrics.js';
import type { IntentInterpreter } from './interpreter/intent-interpreter.js';
import { checkName } from './policy/names.js';
import type { Policy } from './policy/policy.js';
import type { Rejection } from './policy/rejection.js';
import { screenIntent } from './policy/screen-intent.js';
import type { TargetGuard } from './policy/target-guard.js';
import { type ValidatedPlan, validatePlan } from './policy/validate-plan.js';
import type { ContainerDetails, ContainerRuntime } from './runtime/container-runtime.js';
import type { ImageTracking, RollbackPreparation } from './execution/image-tracking.js';

export interface CommandServiceOptions {
  runtime: ContainerRuntime;
  interpreter: IntentInterpreter;
  policy: Policy;
  guard: TargetGuard;
  audit: AuditLog;
  metrics: GatewayMetrics;
  /** AI_COMMAND_GATEWAY_TIMEOUT in seconds. */
  timeoutSeconds: number;
  logger: FastifyBaseLogger;
  /** Each target's image history (for rollback); without it rollback is rejected. */
  images?: ImageTracking;
}

/** Audit actions, noun-verb, in the order they are written for one request. */
export const AUDIT_ACTIONS = {
  requested: 'command-requested',
  rejected: 'command-rejected',
  planned: 'command-planned',
  started: 'command-started',
  finished: 'command-finished',
} as const;

/**
 * One request's way through the gateway: audit the request → screen the intent → interpret →
 * validate the plan (the one gate) → dry run stops here → admit (busy/rate limit) → audit
 * `command-started` → execute with a deadline → audit `command-finished` → answer. If the audit
 * log cannot be written before execution, nothing executes (503).
 */
export class CommandService {
  constructor(private readonly options: CommandServiceOptions) {}

  /**
   * `beforeExecute` runs just before a mutating operation reaches the runtime (the idempotency
   * claim records the dispatch there); when it throws, nothing is executed.
   */
  async handle(
    request: ParsedExecuteCommandRequest,
    requestId: string,
    beforeExecute?: (plan: { operation: string; target: string }) => Promise<void>,
  ): Promise<ExecuteCommandResponse> {
    const { audit } = this.options;
    const actor = request.source_id;
    await this.auditOrRefuse({
      actor,
      action: AUDIT_ACTIONS.requested,
      subject: requestId,
      data: {
        source_id: request.source_id,
        target: request.target_resource.name,
        intent: request.action_request.intent,
        context: request.action_request.context,
        priority: request.action_request.priority,
        dry_run: request.dry_run,
        ...(request.idempotency_key ? { idempotency_key: request.idempotency_key } : {}),
      },
    });

    const refused = screenIntent(request.action_request.intent) ?? this.precheckNames(request);
    if (refused) return this.reject(request, requestId, refused);

    const interpretation = await this.options.interpreter.interpret({
      request,
      policy: this.options.policy,
      // An interpreter that calls a model gets the same deadline as an operation.
      signal: AbortSignal.timeout(this.options.timeoutSeconds * 1000),
    });
    if (!interpretation.ok) {
      return this.reject(request, requestId, {
        code: interpretation.kind === 'ambiguous' ? 'ambiguous_intent' : 'unrecognised_intent',
        reason: interpretation.reason,
        accepted_examples: interpretation.accepted_examples,
      });
    }
    const validation = await validatePlan(interpretation.plan, {
      sourceId: request.source_id,
      requestedTarget: request.target_resource.name,
      policy: this.options.policy,
      maxTimeoutSeconds: this.options.timeoutSeconds,
      labelsOf: (name) => this.labelsOf(name),
    });
    if (!validation.ok) {
      // An interpreter's (a model's) output is untrusted: echo it back only if it is a well-formed plan.
      const wellFormed = commandPlanSchema.safeParse(interpretation.plan);
      return this.reject(
        request,
        requestId,
        validation.rejection,
        wellFormed.success ? wellFormed.data : undefined,
        wellFormed.success ? undefined : interpretation.plan,
      );
    }
    const plan = validation.plan;
    const command = dockerCommandFor(plan);
    const rollback = plan.operation === 'rollback' ? await this.prepareRollback(plan.target) : undefined;
    if (rollback && !rollback.ok) return this.reject(request, requestId, rollback.rejection, planOf(plan));

    if (request.dry_run) {
      await this.auditOrRefuse({
        actor,
        action: AUDIT_ACTIONS.planned,
        subject: requestId,
        data: { plan: planOf(plan), command, interpreter: interpretation.interpreter ?? 'unknown', decision: 'dry-run' },
      });
      this.count('success', plan.operation);
      return this.respond(requestId, 'success', command, 'dry run: validated, not executed', 0, {
        plan: planOf(plan),
        dry_run: true,
      });
    }

    const admission = await this.options.guard.admit(plan.operation, plan.target, requestId);
    if (!admission.ok) return this.reject(request, requestId, admission.rejection, planOf(plan));

    const timeoutSeconds = plan.params.timeout_seconds ?? this.options.timeoutSeconds;
    try {
      await this.auditOrRefuse({
        actor,
        action: AUDIT_ACTIONS.started,
        subject: requestId,
        data: {
          plan: planOf(plan),
          command,
          interpreter: interpretation.interpreter ?? 'unknown',
          decision: 'approved',
          timeout_seconds: timeoutSeconds,
          runtime: this.options.runtime.kind,
        },
      });
      if (MUTATING_OPERATIONS.has(plan.operation)) await beforeExecute?.({ operation: plan.operation, target: plan.target });
    } catch (error) {
      await admission.lease.release();
      throw error;
    }

    const outcome = await executePlan(plan, {
      runtime: this.options.runtime,
      policy: this.options.policy,
      timeoutSeconds,
      lease: admission.lease,
      operationId: requestId,
      ...(rollback?.ok ? { rollbackImage: rollback.image } : {}),
    });
    if (outcome.status === 'success') outcome.result = await this.trackImage(plan, outcome.result);
    // The target is free (on every replica) before the answer goes out; after a timeout the executor frees it later.
    if (outcome.status !== 'timeout') await admission.lease.release();
    const result = plan.operation === 'logs' && Array.isArray(outcome.result) ? outcome.result.join('\n') : outcome.result;
    this.options.metrics.executionDuration.observe(
      { operation: plan.operation, status: outcome.status },
      outcome.executionTimeMs / 1000,
    );
    this.count(outcome.status, plan.operation);
    try {
      await audit.append({
        actor,
        action: AUDIT_ACTIONS.finished,
        subject: requestId,
        data: {
          plan: planOf(plan),
          command,
          overall_status: outcome.status,
          execution_time_ms: outcome.executionTimeMs,
          result: summarise(plan, outcome.result),
        },
      });
    } catch (error) {
      // The operation happened; the caller still gets its result. The gap shows in the log.
      this.options.logger.error({ err: error, request_id: requestId }, 'could not write command-finished to the audit log');
    }
    return this.respond(requestId, outcome.status, command, result, outcome.executionTimeMs, { plan: planOf(plan) });
  }

  private async reject(
    request: ParsedExecuteCommandRequest,
    requestId: string,
    rejection: Rejection,
    plan?: CommandPlan,
    malformedProposal?: unknown,
  ): Promise<ExecuteCommandResponse> {
    await this.auditOrRefuse({
      actor: request.source_id,
      action: AUDIT_ACTIONS.rejected,
      subject: requestId,
      data: {
        reason_code: rejection.code,
        reason: rejection.reason,
        ...(plan ? { plan } : {}),
        ...(malformedProposal === undefined ? {} : { proposal: JSON.stringify(malformedProposal ?? null).slice(0, 2000) }),
      },
    });
    this.options.metrics.rejections.inc({ reason: rejection.code });
    this.count('rejected', plan?.operation ?? 'none');
    return this.respond(requestId, 'rejected', '', `rejected: ${rejection.reason}`, 0, {
      reason: rejection.reason,
      reason_code: rejection.code,
      ...(rejection.accepted_examples ? { accepted_examples: rejection.accepted_examples } : {}),
      ...(plan ? { plan } : {}),
      ...(request.dry_run ? { dry_run: true } : {}),
    });
  }

  private respond(
    requestId: string,
    status: OverallStatus,
    command: string,
    result: unknown,
    executionTimeMs: number,
    extra: Partial<ExecuteCommandResponse>,
  ): ExecuteCommandResponse {
    return {
      request_id: requestId,
      timestamp_processed_utc: new Date().toISOString(),
      overall_status: status,
      execution_details: { command, execution_result: result, execution_time_ms: executionTimeMs },
      ...extra,
    };
  }

  /**
   * Cheap refusals before any interpreter runs (so junk never costs an LLM call). validatePlan
   * checks the same again on the plan: it stays the one gate.
   */
  private precheckNames(request: ParsedExecuteCommandRequest): Rejection | undefined {
    const sourceProblem = checkName(request.source_id);
    if (sourceProblem) return { code: 'invalid_source_id', reason: `source_id ${sourceProblem}` };
    const targetProblem = checkName(request.target_resource.name);
    if (targetProblem) {
      return { code: 'invalid_target_name', reason: `target name ${JSON.stringify(request.target_resource.name)} ${targetProblem}` };
    }
    if (!Object.hasOwn(this.options.policy.sources, request.source_id)) {
      return {
        code: 'operation_not_allowed',
        reason: `source_id "${request.source_id}" is not granted any operation by the gateway policy`,
      };
    }
    return undefined;
  }

  private count(status: OverallStatus, operation: string): void {
    this.options.metrics.requests.inc({ status, operation });
  }

  private async auditOrRefuse(entry: Parameters<AuditLog['append']>[0]): Promise<void> {
    try {
      await this.options.audit.append(entry);
    } catch (error) {
      this.options.logger.error({ err: error, action: entry.action }, 'audit log write failed; refusing the request');
      // 503 with a readable message (category `upstream`: the message is safe to send).
      throw new AppError('audit_unavailable', 'upstream', 503, 'the audit log cannot be written; nothing was executed', {
        cause: error,
      });
    }
  }

  private async prepareRollback(target: string): Promise<RollbackPreparation> {
    if (this.options.images) return this.options.images.prepareRollback(target);
    return { ok: false, rejection: { code: 'rollback_unsupported', reason: 'this gateway keeps no image history, so it cannot know an earlier image' } };
  }

  /** Records the target's image after an operation; an inspect answer carries the target's image history. */
  private async trackImage(plan: ValidatedPlan, result: unknown): Promise<unknown> {
    const images = this.options.images;
    if (!images || plan.operation === 'list') return result;
    if (plan.operation !== 'inspect') {
      if (MUTATING_OPERATIONS.has(plan.operation)) await images.observe(plan.target);
      return result;
    }
    const history = await images.record(plan.target, result as ContainerDetails).catch(() => []);
    return history.length > 0 ? { ...(result as ContainerDetails), image_history: history } : result;
  }

  private async labelsOf(name: string): Promise<Record<string, string> | undefined> {
    try {
      const details = await this.options.runtime.inspect(name, { signal: AbortSignal.timeout(5000) });
      return details.labels;
    } catch {
      return undefined;
    }
  }
}

function planOf(plan: ValidatedPlan): CommandPlan {
  const params: CommandPlan['params'] = {};
  if (plan.params.tail !== undefined) params.tail = plan.params.tail;
  if (plan.params.timeout_seconds !== undefined) params.timeout_seconds = plan.params.timeout_seconds;
  return { operation: plan.operation, target: plan.target, params };
}

/** What the audit log keeps of a result: small documents whole, logs as a line count. */
function summarise(plan: ValidatedPlan, result: unknown): unknown {
  if (plan.operation === 'logs' && Array.isArray(result)) return { lines: result.length };
  if (plan.operation === 'list' && Array.isArray(result)) {
    return { containers: result.map((container) => (container as { name?: unknown }).name) };
  }
  if (typeof result === 'string') return result.slice(0, 2000);
  const text = JSON.stringify(result ?? null);
  return text.length <= 4000 ? result : { truncated: text.slice(0, 4000) };
}
