import type {
  LanguageModelV3,
  LanguageModelV3CallOptions,
  LanguageModelV3GenerateResult,
  LanguageModelV3StreamPart,
  LanguageModelV3StreamResult,
  LanguageModelV3Usage,
} from '@ai-sdk/provider';
import { CircuitBreaker } from './circuit-breaker.js';
import { AllProvidersFailedError, BudgetExceededError, describeError, LlmError, RequestTooLargeError } from './errors.js';
import { estimateCostUsd } from './pricing.js';
import { type RedactionProfile, redactValue } from './redaction.js';
import { callWithRetry, type RetryOptions } from './retry.js';
import { startOfUtcDay, totalsOf, type UsageRecord, type UsageStore, type UsageTotals } from './usage-store.js';

/** One provider the router may use, in preference order. */
export interface RoutedProvider {
  /** Label used in logs, usage and breaker names, e.g. `openai:gpt-4o-mini`. */
  label: string;
  model: LanguageModelV3;
}

/** Settings of a {@link ModelRouter}. */
export interface ModelRouterOptions {
  /** Providers in preference order: primary first, then the backup. */
  providers: RoutedProvider[];
  usage: UsageStore;
  /** Per-call timeout in ms (`LLM_TIMEOUT`). */
  timeoutMs: number;
  /** Retries per provider per call (`LLM_MAX_RETRIES`). */
  maxRetries: number;
  /** Backoff tuning (tests shorten it). */
  retry?: Pick<RetryOptions, 'baseDelayMs' | 'maxDelayMs' | 'maxRetryAfterMs' | 'onRetry'>;
  /** Upper bound on one request's serialised prompt (`LLM_MAX_REQUEST_CHARS`). */
  maxRequestChars: number;
  /** Tokens one incident (scope) may use (`LLM_INCIDENT_TOKEN_BUDGET`). */
  incidentTokenBudget: number;
  /** Tokens all scopes may use per UTC day (`LLM_DAILY_TOKEN_BUDGET`). */
  dailyTokenBudget: number;
  circuit: { failureThreshold: number; cooldownMs: number; now?: () => number };
  /** Called after every call (metrics). */
  onCall?: (record: UsageRecord) => void;
}

/** What a scoped model is for: the usage records carry it, the budgets key on it. */
export interface ModelScope {
  incident_id?: string;
  /** A coding task the calls belong to (the coding agent's scope). */
  task_id?: string;
  purpose: string;
  /** Redaction profile of the prompt: `default`, or `code` for source files (values only). */
  redaction?: RedactionProfile;
  /**
   * This scope's own token budget (e.g. the coding agent's `TASK_TOKEN_BUDGET`), counted over the
   * scope's calls plus `priorTokens`; replaces `LLM_INCIDENT_TOKEN_BUDGET` for the scope.
   */
  tokenBudget?: number;
  /** Tokens the scope spent before this router saw it (a task resumed after a restart). */
  priorTokens?: number;
}

/** A model bound to one scope, plus the running totals of that scope. */
export interface ScopedModel {
  model: LanguageModelV3;
  totals(): UsageTotals;
}

function tokensOf(usage: LanguageModelV3Usage | undefined, prompt: unknown, completion: unknown) {
  const prompt_tokens = usage?.inputTokens.total ?? Math.ceil(JSON.stringify(prompt ?? '').length / 4);
  const completion_tokens = usage?.outputTokens.total ?? Math.ceil(JSON.stringify(completion ?? '').length / 4);
  return { prompt_tokens, completion_tokens };
}

/**
 * The one door to the providers. Every call through a scoped model:
 * 1. is size-checked, then redacted with the scope's profile (every string in the prompt, tool results included);
 * 2. checks the scope's own budget (or the incident budget) and the daily token budget;
 * 3. tries each provider in order whose circuit is not open, with a per-call timeout and
 *    retries with backoff honouring `Retry-After`;
 * 4. records tokens and estimated cost, success or failure.
 * When every provider fails it throws {@link AllProvidersFailedError}; callers then fall back
 * to rules. Hand the scoped model to the AI SDK with `maxRetries: 0`.
 */
export class ModelRouter {
  readonly breakers: Map<string, CircuitBreaker>;

  constructor(private readonly options: ModelRouterOptions) {
    this.breakers = new Map(
      options.providers.map((provider) => [provider.label, new CircuitBreaker(provider.label, options.circuit)]),
    );
  }

  /** Labels of the providers in preference order. */
  get providerLabels(): string[] {
    return this.options.providers.map((provider) => provider.label);
  }

  /** Usage store the router records into. */
  get usage(): UsageStore {
    return this.options.usage;
  }

  /** Circuit state per provider, for `/status` and `/llm/usage`. */
  circuitStates(): Record<string, string> {
    return Object.fromEntries([...this.breakers].map(([label, breaker]) => [label, breaker.state]));
  }

  /** A language model bound to `scope`: use it for every call of one incident or task. */
  scoped(scope: ModelScope): ScopedModel {
    const records: UsageRecord[] = [];
    const first = this.options.providers[0];
    const model: LanguageModelV3 = {
      specificationVersion: 'v3',
      provider: 'atb-router',
      modelId: first ? first.label : 'none',
      supportedUrls: {},
      doGenerate: (callOptions) => this.generate(scope, callOptions, records),
      doStream: (callOptions) => this.stream(scope, callOptions, records),
    };
    return { model, totals: () => totalsOf(records) };
  }

  private async prepare(
    scope: ModelScope,
    callOptions: LanguageModelV3CallOptions,
    records: UsageRecord[],
  ): Promise<LanguageModelV3CallOptions> {
    // The bound on size applies first: an oversized request is refused before any redaction work.
    const toolChars = JSON.stringify(callOptions.tools ?? []).length;
    const rawChars = JSON.stringify(callOptions.prompt).length + toolChars;
    if (rawChars > this.options.maxRequestChars) throw new RequestTooLargeError(rawChars, this.options.maxRequestChars);
    const prompt = redactValue(callOptions.prompt, { profile: scope.redaction ?? 'default' });
    const chars = JSON.stringify(prompt).length + toolChars;
    if (chars > this.options.maxRequestChars) throw new RequestTooLargeError(chars, this.options.maxRequestChars);
    const daily = totalsOf(await this.options.usage.list({ since: startOfUtcDay() }));
    const dailyUsed = daily.prompt_tokens + daily.completion_tokens;
    if (dailyUsed >= this.options.dailyTokenBudget) {
      throw new BudgetExceededError('daily', dailyUsed, this.options.dailyTokenBudget);
    }
    if (scope.tokenBudget !== undefined) {
      const own = totalsOf(records);
      const scopeUsed = (scope.priorTokens ?? 0) + own.prompt_tokens + own.completion_tokens;
      if (scopeUsed >= scope.tokenBudget) {
        throw new BudgetExceededError(scope.task_id === undefined ? 'incident' : 'task', scopeUsed, scope.tokenBudget);
      }
    } else if (scope.incident_id !== undefined) {
      const incident = totalsOf(await this.options.usage.list({ incident_id: scope.incident_id }));
      const incidentUsed = incident.prompt_tokens + incident.completion_tokens;
      if (incidentUsed >= this.options.incidentTokenBudget) {
        throw new BudgetExceededError('incident', incidentUsed, this.options.incidentTokenBudget);
      }
    }
    return { ...callOptions, prompt };
  }

  private async record(
    scope: ModelScope,
    provider: RoutedProvider,
    records: UsageRecord[],
    fields: { prompt_tokens: number; completion_tokens: number; started: number; error?: unknown },
  ) {
    const record: UsageRecord = {
      at: new Date().toISOString(),
      purpose: scope.purpose,
      provider: provider.label,
      model: provider.model.modelId,
      prompt_tokens: fields.prompt_tokens,
      completion_tokens: fields.completion_tokens,
      estimated_cost_usd: estimateCostUsd(provider.model.modelId, fields.prompt_tokens, fields.completion_tokens),
      duration_ms: Date.now() - fields.started,
      outcome: fields.error === undefined ? 'ok' : 'error',
    };
    if (scope.incident_id !== undefined) record.incident_id = scope.incident_id;
    if (fields.error !== undefined) record.error = describeError(fields.error).slice(0, 300);
    records.push(record);
    await this.options.usage.append(record);
    this.options.onCall?.(record);
  }

  /** Tries each provider in turn; `attempt` performs one provider call (with retries). */
  private async failover<Result>(
    scope: ModelScope,
    callOptions: LanguageModelV3CallOptions,
    records: UsageRecord[],
    attempt: (provider: RoutedProvider, options: LanguageModelV3CallOptions) => Promise<Result>,
  ): Promise<Result> {
    const prepared = await this.prepare(scope, callOptions, records);
    const failures: { provider: string; error: string }[] = [];
    for (const provider of this.options.providers) {
      const breaker = this.breakers.get(provider.label)!;
      try {
        breaker.acquire();
      } catch (error) {
        failures.push({ provider: provider.label, error: describeError(error) });
        continue;
      }
      const started = Date.now();
      try {
        const result = await callWithRetry((signal) => attempt(provider, { ...prepared, abortSignal: signal }), {
          maxRetries: this.options.maxRetries,
          timeoutMs: this.options.timeoutMs,
          ...(callOptions.abortSignal ? { signal: callOptions.abortSignal } : {}),
          ...this.options.retry,
        });
        breaker.recordSuccess();
        return result;
      } catch (error) {
        if (callOptions.abortSignal?.aborted) {
          breaker.release();
          throw error;
        }
        breaker.recordFailure();
        failures.push({ provider: provider.label, error: describeError(error) });
        await this.record(scope, provider, records, { prompt_tokens: 0, completion_tokens: 0, started, error });
      }
    }
    throw new AllProvidersFailedError(failures);
  }

  private generate(
    scope: ModelScope,
    callOptions: LanguageModelV3CallOptions,
    records: UsageRecord[],
  ): Promise<LanguageModelV3GenerateResult> {
    return this.failover(scope, callOptions, records, async (provider, options) => {
      const started = Date.now();
      const result = await provider.model.doGenerate(options);
      await this.record(scope, provider, records, { ...tokensOf(result.usage, options.prompt, result.content), started });
      return result;
    });
  }

  private stream(
    scope: ModelScope,
    callOptions: LanguageModelV3CallOptions,
    records: UsageRecord[],
  ): Promise<LanguageModelV3StreamResult> {
    return this.failover(scope, callOptions, records, async (provider, options) => {
      const started = Date.now();
      const result = await provider.model.doStream(options);
      let usage: LanguageModelV3Usage | undefined;
      let text = '';
      const record = () => this.record(scope, provider, records, { ...tokensOf(usage, options.prompt, text), started });
      const stream = result.stream.pipeThrough(
        new TransformStream<LanguageModelV3StreamPart, LanguageModelV3StreamPart>({
          transform(part, controller) {
            if (part.type === 'finish') usage = part.usage;
            if (part.type === 'text-delta') text += part.delta;
            controller.enqueue(part);
          },
          async flush() {
            await record();
          },
        }),
      );
      return { ...result, stream };
    });
  }
}

/** True for errors that mean "no model answer was possible" (so fall back to rules). */
export function isLlmUnavailable(error: unknown): boolean {
  return error instanceof LlmError;
}
