import { generateText, type LanguageModel } from 'ai';

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

export interface ModelSettings {
  temperature: number;
  maxOutputTokens: number;
  timeoutMs: number;
  /** Retries on rate limits and server errors (the AI SDK backs off exponentially). */
  maxRetries: number;
  /** USD per million input / output tokens (0 when unknown). */
  inputCostPerMillion: number;
  outputCostPerMillion: number;
  /** Characters of prompt sent at most; longer prompts are cut in the middle. */
  maxPromptCharacters: number;
}

export class BudgetExceededError extends Error {
  constructor(readonly used: number, readonly budget: number) {
    super(`token budget exhausted: used ${used} of ${budget} tokens`);
    this.name = 'BudgetExceededError';
  }
}

const SECRET_PATTERNS: RegExp[] = [
  /\b(?:sk|pk|rk)-[A-Za-z0-9_-]{16,}\b/g,
  /\bgh[pousr]_[A-Za-z0-9]{20,}\b/g,
  /\bAKIA[0-9A-Z]{16}\b/g,
  /-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?-----END [A-Z ]*PRIVATE KEY-----/g,
  /\b([a-z][a-z0-9+.-]*:\/\/[^:/\s]+:)[^@/\s]+(?=@)/gi,
  /\b((?:password|passwd|secret|token|api[_-]?key)\s*[=:]\s*["']?)[^\s"']{6,}/gi,
];

/** Removes tokens, keys, passwords and credentials in URLs before text leaves for a model. */
export function redact(text: string): string {
  let result = text;
  for (const pattern of SECRET_PATTERNS) {
    result = result.replace(pattern, (match, prefix: unknown) =>
      typeof prefix === 'string' && match.startsWith(prefix) ? `${prefix}[REDACTED]` : '[REDACTED]',
    );
  }
  return result;
}

/** Keeps the head and the tail of `text` within `limit` characters. */
export function boundText(text: string, limit: number): string {
  if (text.length <= limit) return text;
  const half = Math.floor((limit - 40) / 2);
  return `${text.slice(0, half)}\n… [${text.length - 2 * half} characters cut] …\n${text.slice(-half)}`;
}

/**
 * One task's access to the model: redacts and bounds prompts, applies a timeout, counts tokens
 * and cost, and refuses calls once the task's token budget is spent.
 */
export class ModelClient {
  readonly usage: ModelUsage;
  calls = 0;
  modelTimeMs = 0;

  constructor(
    private readonly model: LanguageModel,
    private readonly settings: ModelSettings,
    private readonly budget: number,
    initial: ModelUsage = { input: 0, output: 0, total: 0 },
  ) {
    this.usage = { ...initial };
  }

  get costUsd(): number {
    return (
      (this.usage.input * this.settings.inputCostPerMillion + this.usage.output * this.settings.outputCostPerMillion) /
      1_000_000
    );
  }

  async complete(options: ModelCallOptions): Promise<string> {
    if (this.usage.total >= this.budget) throw new BudgetExceededError(this.usage.total, this.budget);
    const started = performance.now();
    const signals = [AbortSignal.timeout(this.settings.timeoutMs), ...(options.signal ? [options.signal] : [])];
    try {
      const result = await generateText({
        model: this.model,
        system: options.system,
        prompt: redact(boundText(options.prompt, this.settings.maxPromptCharacters)),
        temperature: this.settings.temperature,
        maxOutputTokens: this.settings.maxOutputTokens,
        maxRetries: this.settings.maxRetries,
        abortSignal: AbortSignal.any(signals),
      });
      const input = result.usage.inputTokens ?? Math.ceil(options.prompt.length / 4);
      const output = result.usage.outputTokens ?? Math.ceil(result.text.length / 4);
      this.usage.input += input;
      this.usage.output += output;
      this.usage.total += input + output;
      this.calls += 1;
      return result.text;
    } finally {
      this.modelTimeMs += performance.now() - started;
    }
  }
}
