import type { LanguageModelV3 } from '@ai-sdk/provider';
import { generateText, type ModelMessage } from 'ai';
import type { z } from 'zod';
import { describeSchema, renderPrompt } from './prompts.js';
import { type ParsedOutput, parseModelOutput } from './structured-output.js';

/** Settings of {@link generateValidated}. */
export interface GenerateValidatedOptions<Schema extends z.ZodType> {
  /** A scoped model from a ModelRouter (redaction, budgets, retries, failover included). */
  model: LanguageModelV3;
  /** The rendered prompt (a versioned template). */
  prompt: string;
  schema: Schema;
  system?: string;
  temperature?: number;
  maxOutputTokens?: number;
  signal?: AbortSignal;
}

/**
 * Asks for one JSON object and validates it with `schema`; an invalid answer gets ONE repair
 * attempt (prompt `repair.v1` with the validation problems). Answers the parsed value or the
 * problems of the second answer; provider errors are thrown (callers fall back).
 *
 * @example
 * const result = await generateValidated({ model: router.scoped({ purpose: 'command-plan' }).model, prompt, schema });
 * if (!result.ok) refuse(result.problems);
 */
export async function generateValidated<Schema extends z.ZodType>(
  options: GenerateValidatedOptions<Schema>,
): Promise<ParsedOutput<z.output<Schema>> & { repaired: boolean }> {
  const settings = {
    model: options.model,
    maxRetries: 0,
    ...(options.system !== undefined ? { system: options.system } : {}),
    ...(options.temperature !== undefined ? { temperature: options.temperature } : {}),
    ...(options.maxOutputTokens !== undefined ? { maxOutputTokens: options.maxOutputTokens } : {}),
    ...(options.signal ? { abortSignal: options.signal } : {}),
  };
  const messages: ModelMessage[] = [{ role: 'user', content: options.prompt }];
  const first = await generateText({ ...settings, messages });
  const parsed = parseModelOutput(first.text, options.schema);
  if (parsed.ok) return { ...parsed, repaired: false };
  const repair = renderPrompt('repair.v1', { problems: parsed.problems, output_schema: describeSchema(options.schema) });
  const second = await generateText({
    ...settings,
    messages: [...messages, ...first.response.messages, { role: 'user', content: repair }],
  });
  return { ...parseModelOutput(second.text, options.schema), repaired: true };
}
