/**
 * Estimated list prices in US dollars per million tokens (input, output), as published by
 * the providers in 2025. They are estimates for budgeting and dashboards, not invoices;
 * update this table when prices change. Models are matched by the longest id prefix; a model
 * not in the table (e.g. a local Ollama/vLLM model) costs 0.
 */
export const PRICE_TABLE: Record<string, { input: number; output: number }> = {
  'gpt-4o-mini': { input: 0.15, output: 0.6 },
  'gpt-4o': { input: 2.5, output: 10 },
  'gpt-4.1-nano': { input: 0.1, output: 0.4 },
  'gpt-4.1-mini': { input: 0.4, output: 1.6 },
  'gpt-4.1': { input: 2, output: 8 },
  'gpt-4-turbo': { input: 10, output: 30 },
  'gpt-4': { input: 30, output: 60 },
  'gpt-5-mini': { input: 0.25, output: 2 },
  'gpt-5-nano': { input: 0.05, output: 0.4 },
  'gpt-5': { input: 1.25, output: 10 },
  'o4-mini': { input: 1.1, output: 4.4 },
  'claude-haiku-4-5': { input: 1, output: 5 },
  'claude-3-5-haiku': { input: 0.8, output: 4 },
  'claude-sonnet-4': { input: 3, output: 15 },
  'claude-3-7-sonnet': { input: 3, output: 15 },
  'claude-3-5-sonnet': { input: 3, output: 15 },
  'claude-opus-4': { input: 15, output: 75 },
};

/** The price entry for a model id, by longest matching prefix, or undefined. */
export function priceOf(modelId: string): { input: number; output: number } | undefined {
  let best: string | undefined;
  for (const prefix of Object.keys(PRICE_TABLE)) {
    if (modelId.startsWith(prefix) && (best === undefined || prefix.length > best.length)) best = prefix;
  }
  return best === undefined ? undefined : PRICE_TABLE[best];
}

/** Estimated cost in US dollars of one call (0 for unknown and local models). */
export function estimateCostUsd(modelId: string, promptTokens: number, completionTokens: number): number {
  const price = priceOf(modelId);
  if (!price) return 0;
  return (promptTokens * price.input + completionTokens * price.output) / 1_000_000;
}
