/**
 * Errors of the LLM layer. Each carries a short `code` used as the machine-readable part of an
 * incident's `fallback_reason`, so the dashboard can say why the rule analyzer answered.
 */
export class LlmError extends Error {
  constructor(
    readonly code: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** One model call exceeded its timeout (`LLM_TIMEOUT`). */
export class LlmTimeoutError extends LlmError {
  constructor(readonly timeoutMs: number) {
    super('timeout', `model call timed out after ${timeoutMs} ms`);
  }
}

/** The provider's circuit is open: it failed repeatedly and is being rested. */
export class CircuitOpenError extends LlmError {
  constructor(
    readonly provider: string,
    readonly retryAtMs: number,
  ) {
    super('circuit_open', `circuit for ${provider} is open until ${new Date(retryAtMs).toISOString()}`);
  }
}

/** A per-incident, per-task or daily token budget is spent. */
export class BudgetExceededError extends LlmError {
  constructor(
    readonly budget: 'incident' | 'task' | 'daily',
    readonly used: number,
    readonly limit: number,
  ) {
    super(`${budget}_budget_exceeded`, `${budget} token budget exceeded: ${used} of ${limit} tokens used`);
  }
}

/** A request would exceed `LLM_MAX_REQUEST_CHARS`. */
export class RequestTooLargeError extends LlmError {
  constructor(
    readonly chars: number,
    readonly limit: number,
  ) {
    super('request_too_large', `request of ${chars} characters exceeds the ${limit}-character bound`);
  }
}

/** Every configured provider failed for one call. */
export class AllProvidersFailedError extends LlmError {
  constructor(readonly failures: { provider: string; error: string }[]) {
    super(
      failures.every((failure) => failure.error.startsWith('circuit_open')) ? 'circuit_open' : 'providers_failed',
      `all providers failed: ${failures.map((failure) => `${failure.provider}: ${failure.error}`).join('; ')}`,
    );
  }
}

/** The model's answer did not validate, even after the repair attempt. */
export class InvalidModelOutputError extends LlmError {
  constructor(readonly issues: string) {
    super('invalid_output', `model output invalid after repair: ${issues}`);
  }
}

/** `code: message` for any error, for fallback reasons and usage records. */
export function describeError(error: unknown): string {
  if (error instanceof LlmError) return `${error.code}: ${error.message}`;
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  return String(error);
}
