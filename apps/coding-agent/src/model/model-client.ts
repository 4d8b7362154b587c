import { BudgetExceededError as RouterBudgetExceededError, type ModelRouter, type ScopedModel } from '@atb/llm';
import { generateText } from 'ai';

export interface ModelUsage {
  input: number;
  output: number;
  total: number;
}

export interface ModelCallOptions {
  system: string;
  prompt: string;
  signal?: AbortSignal;
}

/**
 * The coding agent's sampling and size settings. Timeout, retries, failover, circuit breaking
 * and cost come from the {@link ModelRouter} (`LLM_TIMEOUT`, `LLM_MAX_RETRIES`, …).
 */
export interface ModelSettings {
  temperature: number;
  maxOutputTokens: number;
  /** Characters of one request at most (`LLM_MAX_REQUEST_CHARS`); longer prompts are cut in the middle. */
  maxPromptCharacters: number;
}

/** Who the calls are for: the task, its token budget, and what it spent before a restart. */
export interface ModelClientScope {
  taskId: string;
  /** `TASK_TOKEN_BUDGET`. */
  tokenBudget: number;
  initialUsage?: ModelUsage;
  initialCostUsd?: number;
}

/** The task's token budget (`TASK_TOKEN_BUDGET`) is spent: the task stops with this reason. */
export class BudgetExceededError extends Error {
  constructor(
    readonly used: number,
    readonly budget: number,
  ) {
    super(`token budget exhausted: used ${used} of ${budget} tokens`);
    this.name = 'BudgetExceededError';
  }
}

/** Keeps the head and the tail of `text` within `limit` characters. */
export function boundText(text: string, limit: number): string {
  if (text.length <= limit) return text;
  const half = Math.max(0, Math.floor((limit - 40) / 2));
  return `${text.slice(0, half)}\n… [${text.length - 2 * half} characters cut] …\n${text.slice(-half)}`;
}

/** Room left for the JSON envelope of a chat request (roles, field names) within the size bound. */
const ENVELOPE_CHARACTERS = 200;

/**
 * Bounds `prompt` so that system + prompt, as serialised for the wire (quotes and newlines
 * escaped), stay within `limit` characters; the router refuses anything larger.
 */
export function boundPrompt(system: string, prompt: string, limit: number): string {
  const room = limit - JSON.stringify(system).length - ENVELOPE_CHARACTERS;
  let bounded = boundText(prompt, room);
  for (let attempt = 0; attempt < 5; attempt += 1) {
    const excess = JSON.stringify(bounded).length - room;
    if (excess <= 0) break;
    bounded = boundText(prompt, Math.max(0, Math.min(bounded.length, prompt.length) - excess - 40));
  }
  return bounded;
}

/**
 * One task's access to the model, through the {@link ModelRouter} (the product's one door to
 * the providers): each call is redacted with the code-safe profile (secret values only, code
 * unchanged), bounded in size, checked against the task's token budget, retried with backoff
 * honouring `Retry-After`, timed out, failed over to the backup provider, circuit-broken, and
 * recorded with tokens and estimated cost.
 *
 * @example
 * const model = new ModelClient(router, settings.model, { taskId: task.task_id, tokenBudget: 200_000 });
 * const answer = await model.complete({ system, prompt });
 */
export class ModelClient {
  calls = 0;
  modelTimeMs = 0;
  private readonly scoped: ScopedModel;
  private readonly initialUsage: ModelUsage;
  private readonly initialCostUsd: number;

  constructor(
    router: ModelRouter,
    private readonly settings: ModelSettings,
    scope: ModelClientScope,
  ) {
    this.initialUsage = { ...(scope.initialUsage ?? { input: 0, output: 0, total: 0 }) };
    this.initialCostUsd = scope.initialCostUsd ?? 0;
    this.scoped = router.scoped({
      task_id: scope.taskId,
      purpose: 'coding',
      redaction: 'code',
      tokenBudget: scope.tokenBudget,
      priorTokens: this.initialUsage.total,
    });
  }

  /** Tokens spent by the task so far (before a restart included). */
  get usage(): ModelUsage {
    const totals = this.scoped.totals();
    const input = this.initialUsage.input + totals.prompt_tokens;
    const output = this.initialUsage.output + totals.completion_tokens;
    return { input, output, total: this.initialUsage.total + totals.prompt_tokens + totals.completion_tokens };
  }

  /** Estimated cost in US dollars so far (price table of `@atb/llm`, per provider actually used). */
  get costUsd(): number {
    return this.initialCostUsd + this.scoped.totals().estimated_cost_usd;
  }

  async complete(options: ModelCallOptions): Promise<string> {
    const started = performance.now();
    try {
      const result = await generateText({
        model: this.scoped.model,
        system: options.system,
        prompt: boundPrompt(options.system, options.prompt, this.settings.maxPromptCharacters),
        temperature: this.settings.temperature,
        maxOutputTokens: this.settings.maxOutputTokens,
        // The router retries (honouring Retry-After) and times out each attempt.
        maxRetries: 0,
        ...(options.signal ? { abortSignal: options.signal } : {}),
      });
      this.calls += 1;
      return result.text;
    } catch (error) {
      if (error instanceof RouterBudgetExceededError && error.budget === 'task') {
        throw new BudgetExceededError(error.used, error.limit);
      }
      throw error;
    } finally {
      this.modelTimeMs += performance.now() - started;
    }
  }
}
