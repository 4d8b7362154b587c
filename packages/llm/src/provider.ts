import { createAnthropic } from '@ai-sdk/anthropic';
import { createOpenAI } from '@ai-sdk/openai';
import { createOpenAICompatible } from '@ai-sdk/openai-compatible';
import type { LanguageModelV3 } from '@ai-sdk/provider';
import type { ModelSettings } from './config.js';

/** A model object (never a bare model-id string): what the AI SDK's `generateText({ model })` takes. */
export type ProviderModel = LanguageModelV3;

/**
 * Builds the AI SDK model for one provider, or `undefined` for `provider: 'none'`.
 *
 * - `openai`: the Chat Completions API (`createOpenAI(…).chat(model)`), so the same wire protocol
 *   serves OpenAI, proxies and the scripted test server.
 * - `anthropic`: `createAnthropic(…)(model)` (Messages API).
 * - `openai-compatible`: `createOpenAICompatible({ baseURL, includeUsage: true })` — Ollama, vLLM,
 *   llama.cpp server, LM Studio.
 *
 * @example
 * const model = createLanguageModel({ provider: 'openai-compatible', model: 'llama3.1', baseUrl: 'http://127.0.0.1:11434/v1' });
 * const { text } = await generateText({ model: model!, prompt: 'hello', maxRetries: 0 });
 */
export function createLanguageModel(settings: ModelSettings): ProviderModel | undefined {
  switch (settings.provider) {
    case 'none':
      return undefined;
    case 'openai': {
      const provider = createOpenAI({
        ...(settings.apiKey ? { apiKey: settings.apiKey } : {}),
        ...(settings.baseUrl ? { baseURL: settings.baseUrl } : {}),
      });
      return provider.chat(settings.model);
    }
    case 'anthropic': {
      const provider = createAnthropic({
        ...(settings.apiKey ? { apiKey: settings.apiKey } : {}),
        ...(settings.baseUrl ? { baseURL: settings.baseUrl } : {}),
      });
      return provider(settings.model);
    }
    case 'openai-compatible': {
      if (!settings.baseUrl) throw new Error('openai-compatible provider needs baseUrl (LLM_BASE_URL)');
      const provider = createOpenAICompatible({
        name: 'openai-compatible',
        baseURL: settings.baseUrl,
        includeUsage: true,
        ...(settings.apiKey ? { apiKey: settings.apiKey } : {}),
      });
      return provider.chatModel(settings.model);
    }
  }
}

/** A short label for logs and usage records, e.g. `openai:gpt-4o-mini`. */
export function modelLabel(settings: ModelSettings): string {
  return `${settings.provider}:${settings.model}`;
}
