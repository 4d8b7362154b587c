import type { Analyzer } from '@atb/contracts';
import { type LlmConfig, resolveModelSettings } from './config.js';
import type { InvestigationPorts } from './investigation-tools.js';
import { LlmAnalyzer } from './llm-analyzer.js';
import { ModelRouter, type ModelRouterOptions } from './model-router.js';
import { createLanguageModel, modelLabel } from './provider.js';
import { InMemoryUsageStore, type UsageStore } from './usage-store.js';

/**
 * Builds the {@link ModelRouter} for a config: primary then backup provider, timeouts, retries,
 * circuit breakers, budgets. Answers `undefined` when `LLM_PROVIDER=none`. Throws a
 * ConfigError naming a missing key or URL.
 */
export function createModelRouter(
  config: LlmConfig,
  options: {
    usage?: UsageStore;
    onCall?: ModelRouterOptions['onCall'];
    retry?: ModelRouterOptions['retry'];
    /** Models in place of the configured providers (tests, benchmarks), under the config's limits. */
    providers?: ModelRouterOptions['providers'];
  } = {},
): ModelRouter | undefined {
  let providers = options.providers;
  if (!providers) {
    const { primary, backup } = resolveModelSettings(config);
    if (!primary) return undefined;
    providers = [primary, ...(backup ? [backup] : [])].map((settings) => ({
      label: modelLabel(settings),
      model: createLanguageModel(settings)!,
    }));
  }
  return new ModelRouter({
    providers,
    usage: options.usage ?? new InMemoryUsageStore(),
    timeoutMs: config.LLM_TIMEOUT * 1000,
    maxRetries: config.LLM_MAX_RETRIES,
    maxRequestChars: config.LLM_MAX_REQUEST_CHARS,
    incidentTokenBudget: config.LLM_INCIDENT_TOKEN_BUDGET,
    dailyTokenBudget: config.LLM_DAILY_TOKEN_BUDGET,
    circuit: { failureThreshold: config.LLM_CIRCUIT_FAILURES, cooldownMs: config.LLM_CIRCUIT_COOLDOWN * 1000 },
    ...(options.onCall ? { onCall: options.onCall } : {}),
    ...(options.retry ? { retry: options.retry } : {}),
  });
}

/**
 * The analyzer for a config: the rule analyzer (`fallback`) when `LLM_PROVIDER=none`,
 * otherwise an {@link LlmAnalyzer} over a router that falls back to it.
 *
 * @example
 * const analyzer = createLlmAnalyzer(config, { router, fallback: new RuleAnalyzer(runbooks), ports });
 */
export function createLlmAnalyzer(
  config: LlmConfig,
  dependencies: { router: ModelRouter | undefined; fallback: Analyzer; ports: InvestigationPorts; issueTypes?: string[] },
): Analyzer {
  if (!dependencies.router) return dependencies.fallback;
  return new LlmAnalyzer({
    router: dependencies.router,
    fallback: dependencies.fallback,
    ports: dependencies.ports,
    maxSteps: config.LLM_MAX_STEPS,
    toolOutputChars: config.LLM_TOOL_OUTPUT_CHARS,
    temperature: config.LLM_TEMPERATURE,
    maxOutputTokens: config.LLM_MAX_TOKENS,
    ...(dependencies.issueTypes ? { issueTypes: dependencies.issueTypes } : {}),
  });
}
