import { InMemoryUsageStore, type LlmConfig, registerLlmRoutes, resolveModelSettings } from '@atb/llm/settings-and-usage';
import type { Service } from '@atb/service-kit';
import type { LlmInterpreter } from './llm-interpreter.js';

/**
 * The gateway's LLM interpreter, or `undefined` with `LLM_PROVIDER=none`; `GET /llm/usage` is
 * registered either way. The model code (the provider SDKs) is loaded only when a model is
 * configured, so a gateway without one starts without it.
 */
export async function loadLlmInterpreter(config: LlmConfig, service: Service): Promise<LlmInterpreter | undefined> {
  if (resolveModelSettings(config).primary) {
    const { createLlmInterpreter } = await import('./llm-interpreter.js');
    return createLlmInterpreter(config, service);
  }
  registerLlmRoutes(service.app, { usage: new InMemoryUsageStore(), dailyTokenBudget: config.LLM_DAILY_TOKEN_BUDGET });
  return undefined;
}
