import type { OverallStatus } from '@atb/contracts';
import type { Policy } from '../policy/policy.js';
import type { TargetLease } from '../policy/target-guard.js';
import { matchesAllowlist, type ValidatedPlan } from '../policy/validate-plan.js';
import { type ContainerRuntime, type RollbackImage, RuntimeNotFoundError } from '../runtime/container-runtime.js';

export interface ExecutionOutcome {
  status: Exclude<OverallStatus, 'rejected'>;
  /** What the operation returned (logs lines, inspect/stats documents, a message). */
  result: unknown;
  executionTimeMs: number;
}

export interface ExecuteOptions {
  runtime: ContainerRuntime;
  policy: Policy;
  /** Deadline in seconds (the plan's timeout_seconds or AI_COMMAND_GATEWAY_TIMEOUT). */
  timeoutSeconds: number;
  /** Released when the runtime call really settles, not when the deadline passes. */
  lease?: TargetLease;
  /** rollback: the image to recreate the target from (checked before: see image-tracking.ts). */
  rollbackImage?: RollbackImage;
  /** The request's id, passed to the runtime with restart/start/stop (see `OperationOptions.operationId`). */
  operationId?: string;
}

class DeadlineExceeded extends Error {}

/** How long after a timeout a still-running mutating call keeps its target locked. */
const LEASE_GRACE_MS = 60_000;

/**
 * Carries out one validated plan through the runtime with a deadline. A deadline that passes is
 * `timeout` (the call is aborted through its signal); an engine failure is `error` with a clear
 * message. Never throws.
 */
export async function executePlan(plan: ValidatedPlan, options: ExecuteOptions): Promise<ExecutionOutcome> {
  const started = performance.now();
  const controller = new AbortController();
  const call = callRuntime(plan, options, controller.signal);
  call.then(
    () => options.lease?.release(),
    () => options.lease?.release(),
  );
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new DeadlineExceeded()), options.timeoutSeconds * 1000);
  });
  const elapsed = () => Math.round(performance.now() - started);
  try {
    const result = await Promise.race([call, deadline]);
    return { status: 'success', result, executionTimeMs: elapsed() };
  } catch (error) {
    if (error instanceof DeadlineExceeded) {
      controller.abort(new Error(`deadline of ${options.timeoutSeconds} s passed`));
      // A runtime that ignores the abort must not keep the target locked for ever.
      setTimeout(() => options.lease?.release(), LEASE_GRACE_MS).unref();
      return {
        status: 'timeout',
        result: `${plan.operation} of "${plan.target}" did not finish within ${options.timeoutSeconds} s`,
        executionTimeMs: elapsed(),
      };
    }
    return { status: 'error', result: describeFailure(plan, error), executionTimeMs: elapsed() };
  } finally {
    clearTimeout(timer);
  }
}

async function callRuntime(plan: ValidatedPlan, options: ExecuteOptions, signal: AbortSignal): Promise<unknown> {
  const { runtime } = options;
  const operationOptions = { signal, ...(options.operationId ? { operationId: options.operationId } : {}) };
  switch (plan.operation) {
    case 'restart':
      await runtime.restart(plan.target, operationOptions);
      return `restarted ${plan.target}`;
    case 'start':
      await runtime.start(plan.target, operationOptions);
      return `started ${plan.target}`;
    case 'stop':
      await runtime.stop(plan.target, operationOptions);
      return `stopped ${plan.target}`;
    case 'logs':
      return runtime.logs(plan.target, { tail: plan.params.tail ?? 100 }, operationOptions);
    case 'inspect':
      return runtime.inspect(plan.target, operationOptions);
    case 'stats':
      return runtime.stats(plan.target, operationOptions);
    case 'list': {
      const containers = await runtime.list(operationOptions);
      return containers.filter((container) => matchesAllowlist(options.policy, container.name, container.labels));
    }
    case 'rollback':
      if (!runtime.rollback || !options.rollbackImage) throw new Error('rollback needs a runtime with images and an earlier image');
      return runtime.rollback(plan.target, options.rollbackImage, operationOptions);
  }
}

function describeFailure(plan: ValidatedPlan, error: unknown): string {
  if (error instanceof RuntimeNotFoundError) return `${plan.operation} failed: ${error.message}`;
  const message = error instanceof Error ? error.message : String(error);
  const code = (error as { code?: unknown } | null)?.code;
  if (code === 'ENOENT' || code === 'ECONNREFUSED' || code === 'ECONNRESET' || code === 'EPIPE') {
    return `${plan.operation} of "${plan.target}" failed: the container engine is unreachable (${code}: ${message})`;
  }
  return `${plan.operation} of "${plan.target}" failed: ${message}`;
}
