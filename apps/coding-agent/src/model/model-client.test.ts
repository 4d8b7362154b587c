import { createOpenAICompatible } from '@ai-sdk/openai-compatible';
import { type ScriptedOpenAIServer, startScriptedOpenAIServer } from '@atb/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { planRequirement } from '../planner/planner.js';
import { BudgetExceededError, boundText, ModelClient, type ModelSettings, redact } from './model-client.js';

const SETTINGS: ModelSettings = {
  temperature: 0.1,
  maxOutputTokens: 500,
  timeoutMs: 10_000,
  maxRetries: 0,
  inputCostPerMillion: 1,
  outputCostPerMillion: 2,
  maxPromptCharacters: 2000,
};

describe('ModelClient (over the scripted OpenAI-compatible server)', () => {
  let server: ScriptedOpenAIServer | undefined;
  afterEach(async () => {
    await server?.close();
  });

  const client = (budget: number) =>
    new ModelClient(createOpenAICompatible({ name: 'scripted', baseURL: (server as ScriptedOpenAIServer).url }).chatModel('m'), SETTINGS, budget);

  it('counts tokens and cost, and refuses calls once the budget is spent', async () => {
    server = await startScriptedOpenAIServer([{ content: 'one', usage: { prompt_tokens: 800, completion_tokens: 300 } }, { content: 'two' }]);
    const model = client(1000);
    expect(await model.complete({ system: 's', prompt: 'p' })).toBe('one');
    expect(model.usage).toEqual({ input: 800, output: 300, total: 1100 });
    expect(model.costUsd).toBeCloseTo((800 * 1 + 300 * 2) / 1e6);
    await expect(model.complete({ system: 's', prompt: 'p' })).rejects.toBeInstanceOf(BudgetExceededError);
    expect(server.requests).toHaveLength(1);
  });

  it('redacts secrets and bounds the prompt before it is sent', async () => {
    server = await startScriptedOpenAIServer([{ content: 'ok' }]);
    await client(100_000).complete({
      system: 's',
      prompt: `DATABASE_URL=postgres://admin:hunter2secret@db/prod key sk-abcdefghijklmnopqrstuvwx ${'x'.repeat(5000)}`,
    });
    const sent = JSON.stringify(server.requests[0]?.body);
    expect(sent).not.toContain('hunter2secret');
    expect(sent).not.toContain('sk-abcdefghijklmnopqrstuvwx');
    expect(sent).toContain('characters cut');
    expect(sent.length).toBeLessThan(3000);
  });

  it('retries the planner once with the validation error, then accepts a valid plan', async () => {
    server = await startScriptedOpenAIServer([
      { content: '{"complexity": 7}' },
      { content: '{"complexity": 2, "files_to_modify": ["a.js"], "estimated_time_minutes": 3}' },
    ]);
    const plan = await planRequirement(client(100_000), 'a.js: function f', 'make f faster', undefined);
    expect(plan).toMatchObject({ complexity: 2, files_to_modify: ['a.js'], new_files_needed: [], risks: [] });
    expect(JSON.stringify(server.requests[1]?.body)).toMatch(/previous answer was invalid.*complexity/);
  });

  it('gives up on a planner that answers nonsense twice', async () => {
    server = await startScriptedOpenAIServer([{ content: 'I think you should…' }, { content: 'still no JSON' }]);
    await expect(planRequirement(client(100_000), '', 'x', undefined)).rejects.toThrow(/invalid twice/);
  });
});

describe('text helpers', () => {
  it('keeps head and tail', () => {
    const bounded = boundText(`${'a'.repeat(100)}${'b'.repeat(100)}`, 100);
    expect(bounded.startsWith('aaa')).toBe(true);
    expect(bounded.endsWith('bbb')).toBe(true);
    expect(bounded.length).toBeLessThan(140);
  });

  it('redacts keys, tokens, private keys and credentials in URLs', () => {
    expect(redact('token: ghp_abcdefghijklmnopqrstuvwxyz012345')).not.toContain('ghp_');
    expect(redact('AKIAABCDEFGHIJKLMNOP')).toBe('[REDACTED]');
    expect(redact('redis://user:pa55word@cache:6379')).toBe('redis://user:[REDACTED]@cache:6379');
    expect(redact('password = "correct-horse"')).toBe('password = "[REDACTED]"');
  });
});
