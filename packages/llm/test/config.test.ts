import { ConfigError } from '@atb/service-kit';
import { describe, expect, it } from 'vitest';
import { parseLlmConfig, resolveModelSettings } from '../src/config.js';
import { createModelRouter } from '../src/create-llm.js';
import { createLanguageModel } from '../src/provider.js';

describe('LLM config', () => {
  it('defaults to no LLM with the seed defaults', () => {
    const config = parseLlmConfig({});
    expect(config).toMatchObject({ LLM_PROVIDER: 'none', LLM_TEMPERATURE: 0.1, LLM_MAX_TOKENS: 4000, LLM_TIMEOUT: 30 });
    expect(resolveModelSettings(config)).toEqual({});
    expect(createModelRouter(config)).toBeUndefined();
  });

  it('names the missing variable', () => {
    expect(() => resolveModelSettings(parseLlmConfig({ LLM_PROVIDER: 'openai' }))).toThrow(/OPENAI_API_KEY: required when LLM_PROVIDER=openai/);
    expect(() => resolveModelSettings(parseLlmConfig({ LLM_PROVIDER: 'openai-compatible', LLM_MODEL: 'llama3' }))).toThrow(/LLM_BASE_URL/);
    expect(() =>
      resolveModelSettings(parseLlmConfig({ LLM_PROVIDER: 'openai', OPENAI_API_KEY: 'sk-x', LLM_BACKUP_PROVIDER: 'anthropic' })),
    ).toThrow(/ANTHROPIC_API_KEY: required when LLM_BACKUP_PROVIDER=anthropic/);
    expect(() => parseLlmConfig({ LLM_PROVIDER: 'gpt' })).toThrow(ConfigError);
    expect(() => parseLlmConfig({ LLM_TIMEOUT: 'soon' })).toThrow(/LLM_TIMEOUT/);
  });

  it('builds primary and backup models (OpenAI primary, Anthropic backup)', () => {
    const config = parseLlmConfig({
      LLM_PROVIDER: 'openai',
      OPENAI_API_KEY: 'sk-test',
      LLM_BACKUP_PROVIDER: 'anthropic',
      ANTHROPIC_API_KEY: 'ak-test',
    });
    const { primary, backup } = resolveModelSettings(config);
    expect(primary).toEqual({ provider: 'openai', model: 'gpt-4o-mini', apiKey: 'sk-test' });
    expect(backup).toEqual({ provider: 'anthropic', model: 'claude-sonnet-4-5', apiKey: 'ak-test' });
    expect(createLanguageModel(primary!)?.modelId).toBe('gpt-4o-mini');
    expect(createLanguageModel(backup!)?.provider).toContain('anthropic');
    expect(createLanguageModel({ provider: 'none', model: 'x' })).toBeUndefined();
    expect(createModelRouter(config)?.providerLabels).toEqual(['openai:gpt-4o-mini', 'anthropic:claude-sonnet-4-5']);
  });
});
