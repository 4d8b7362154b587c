import { ConfigError, decimal, integer, loadConfig, optionalUrl } from '@atb/service-kit';
import { z } from 'zod';

/** The providers `LLM_PROVIDER` accepts; `none` turns the LLM off (the rule analyzer answers). */
export const LLM_PROVIDERS = ['none', 'openai', 'anthropic', 'openai-compatible'] as const;
export type LlmProviderName = (typeof LLM_PROVIDERS)[number];

const providerField = () =>
  z.enum(LLM_PROVIDERS, { error: `expected one of ${LLM_PROVIDERS.join(', ')}` }).default('none');
const optionalText = () => z.string().min(1).optional();

/**
 * The LLM settings (the original design's names, plus what was missing), as a zod shape to spread into a
 * service's config schema: `z.object({ ...baseConfigShape(…), ...llmConfigShape })`.
 * Every field documents its default; see packages/llm/README.md for the table.
 */
export const llmConfigShape = {
  /** none (default) | openai | anthropic | openai-compatible (Ollama, vLLM, llama.cpp server, LM Studio). */
  LLM_PROVIDER: providerField(),
  /** Model id; default per provider (openai gpt-4o-mini, anthropic claude-sonnet-4-5); required for openai-compatible. */
  LLM_MODEL: optionalText(),
  /** Base URL of the API (required for openai-compatible, e.g. http://127.0.0.1:11434/v1; optional proxy URL otherwise). */
  LLM_BASE_URL: optionalUrl(),
  /** API key for openai-compatible servers that need one (most local servers do not). */
  LLM_API_KEY: optionalText(),
  /** Sampling temperature; default 0.1. */
  LLM_TEMPERATURE: decimal(0.1, 0, 2),
  /** Maximum output tokens per call; default 4000. */
  LLM_MAX_TOKENS: integer(4000, 1, 200_000),
  /** Seconds before one model call is abandoned; default 30. */
  LLM_TIMEOUT: decimal(30, 0.1, 600),
  /** Retries per call on 429/5xx/timeouts (exponential backoff honouring Retry-After); default 2. */
  LLM_MAX_RETRIES: integer(2, 0, 10),
  /** Maximum model steps (tool rounds) of one investigation; default 8. */
  LLM_MAX_STEPS: integer(8, 1, 50),
  /** Backup provider used when the primary fails (e.g. OpenAI primary, Anthropic backup); default none. */
  LLM_BACKUP_PROVIDER: providerField(),
  /** Model id of the backup provider; default per provider. */
  LLM_BACKUP_MODEL: optionalText(),
  /** Base URL of the backup provider (required for openai-compatible). */
  LLM_BACKUP_BASE_URL: optionalUrl(),
  /** OpenAI API key (required when a provider is openai). */
  OPENAI_API_KEY: optionalText(),
  /** Anthropic API key (required when a provider is anthropic). */
  ANTHROPIC_API_KEY: optionalText(),
  /** Prompt + completion tokens one incident may spend; default 40000. */
  LLM_INCIDENT_TOKEN_BUDGET: integer(40_000, 1_000),
  /** Tokens all incidents together may spend per UTC day; default 1000000. */
  LLM_DAILY_TOKEN_BUDGET: integer(1_000_000, 1_000),
  /** Upper bound on the characters of one request sent to a provider; default 60000 (~15k tokens). */
  LLM_MAX_REQUEST_CHARS: integer(60_000, 2_000),
  /** Characters one tool output may occupy in the context (head + tail, repeated lines folded); default 3000. */
  LLM_TOOL_OUTPUT_CHARS: integer(3_000, 200),
  /** Consecutive failures after which a provider's circuit opens; default 3. */
  LLM_CIRCUIT_FAILURES: integer(3, 1, 100),
  /** Seconds an open circuit waits before letting one trial call through; default 60. */
  LLM_CIRCUIT_COOLDOWN: decimal(60, 0.01, 86_400),
};

const llmConfigSchema = z.object(llmConfigShape);
/** The parsed LLM settings (output of {@link llmConfigShape}). */
export type LlmConfig = z.output<typeof llmConfigSchema>;

/** Parses LLM settings alone (for tools and tests); services spread {@link llmConfigShape} into their own schema. */
export function parseLlmConfig(input: Record<string, string | undefined>): LlmConfig {
  return loadConfig(llmConfigSchema, input);
}

/** Default model per provider when `LLM_MODEL` / `LLM_BACKUP_MODEL` is unset. */
export const DEFAULT_MODELS: Record<Exclude<LlmProviderName, 'none' | 'openai-compatible'>, string> = {
  openai: 'gpt-4o-mini',
  anthropic: 'claude-sonnet-4-5',
};

/** Everything needed to build one provider's model. */
export interface ModelSettings {
  provider: LlmProviderName;
  model: string;
  baseUrl?: string;
  apiKey?: string;
}

function modelSettings(
  provider: LlmProviderName,
  model: string | undefined,
  baseUrl: string | undefined,
  config: LlmConfig,
  prefix: 'LLM' | 'LLM_BACKUP',
): { settings?: ModelSettings; problems: { variable: string; message: string; received: string | undefined }[] } {
  if (provider === 'none') return { problems: [] };
  const problems: { variable: string; message: string; received: string | undefined }[] = [];
  let apiKey: string | undefined;
  if (provider === 'openai') {
    apiKey = config.OPENAI_API_KEY;
    if (!apiKey) problems.push({ variable: 'OPENAI_API_KEY', message: `required when ${prefix}_PROVIDER=openai`, received: undefined });
  } else if (provider === 'anthropic') {
    apiKey = config.ANTHROPIC_API_KEY;
    if (!apiKey) problems.push({ variable: 'ANTHROPIC_API_KEY', message: `required when ${prefix}_PROVIDER=anthropic`, received: undefined });
  } else {
    apiKey = config.LLM_API_KEY;
    if (!baseUrl) problems.push({ variable: `${prefix}_BASE_URL`, message: `required when ${prefix}_PROVIDER=openai-compatible`, received: undefined });
    if (!model) problems.push({ variable: `${prefix}_MODEL`, message: `required when ${prefix}_PROVIDER=openai-compatible`, received: undefined });
  }
  if (problems.length > 0) return { problems };
  const resolvedModel = model ?? DEFAULT_MODELS[provider as 'openai' | 'anthropic'];
  const settings: ModelSettings = { provider, model: resolvedModel };
  if (baseUrl) settings.baseUrl = baseUrl;
  if (apiKey) settings.apiKey = apiKey;
  return { settings, problems: [] };
}

/**
 * Resolves the primary and backup model settings from the config, throwing a ConfigError that
 * names each missing variable (e.g. `OPENAI_API_KEY: required when LLM_PROVIDER=openai`).
 * Both are undefined when `LLM_PROVIDER=none`.
 */
export function resolveModelSettings(config: LlmConfig): { primary?: ModelSettings; backup?: ModelSettings } {
  const primary = modelSettings(config.LLM_PROVIDER, config.LLM_MODEL, config.LLM_BASE_URL, config, 'LLM');
  const backup =
    config.LLM_PROVIDER === 'none'
      ? { problems: [] }
      : modelSettings(config.LLM_BACKUP_PROVIDER, config.LLM_BACKUP_MODEL, config.LLM_BACKUP_BASE_URL, config, 'LLM_BACKUP');
  const problems = [...primary.problems, ...backup.problems];
  if (problems.length > 0) throw new ConfigError(problems);
  const result: { primary?: ModelSettings; backup?: ModelSettings } = {};
  if (primary.settings) result.primary = primary.settings;
  if ('settings' in backup && backup.settings) result.backup = backup.settings;
  return result;
}
