import {
  createModelRouter,
  type LlmConfig,
  type ModelRouter,
  type ModelRouterOptions,
  type ProviderModel,
  type UsageStore,
} from '@atb/llm';

/** What to build the coding agent's router over instead of the `LLM_*` providers. */
export interface CodingModelRouterOptions {
  /** One model in place of the configured providers (tests, benchmarks), with the config's limits. */
  model?: ProviderModel;
  /** Backoff tuning (tests shorten it). */
  retry?: ModelRouterOptions['retry'];
  /** Where calls are recorded (default in memory); the service keeps them in its database. */
  usage?: UsageStore;
  /** Called after every call (metrics). */
  onCall?: ModelRouterOptions['onCall'];
}

/**
 * The coding agent's {@link ModelRouter}: primary then backup provider from the `LLM_*`
 * settings, with their timeout, retries, circuit breaker and size bound — or, when
 * `options.model` is given, that model alone under the same settings. Answers `undefined`
 * when `LLM_PROVIDER=none` and no model is given. Per-task budgets are set by the
 * `ModelClient` (one scope per task).
 */
export function createCodingModelRouter(config: LlmConfig, options: CodingModelRouterOptions = {}): ModelRouter | undefined {
  const shared = {
    ...(options.retry ? { retry: options.retry } : {}),
    ...(options.usage ? { usage: options.usage } : {}),
    ...(options.onCall ? { onCall: options.onCall } : {}),
  };
  if (!options.model) return createModelRouter(config, shared);
  return createModelRouter(config, {
    ...shared,
    providers: [{ label: `${options.model.provider}:${options.model.modelId}`, model: options.model }],
  });
}
