import { AllProvidersFailedError, type ModelRouter } from '@atb/llm';
import { type ScriptedOpenAIServer, type ScriptedReply, startScriptedOpenAIServer } from '@atb/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { readConfig } from '../config.js';
import { planRequirement } from '../planner/planner.js';
import { createCodingModelRouter } from './coding-model-router.js';
import { BudgetExceededError, boundPrompt, boundText, ModelClient, type ModelSettings } from './model-client.js';

const SETTINGS: ModelSettings = { temperature: 0.1, maxOutputTokens: 500, maxPromptCharacters: 2000 };

const servers: ScriptedOpenAIServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

async function scripted(replies: ScriptedReply[]): Promise<ScriptedOpenAIServer> {
  const server = await startScriptedOpenAIServer(replies);
  servers.push(server);
  return server;
}

/** The router the coding agent builds from its config, pointed at scripted servers. */
function routerFor(primary: ScriptedOpenAIServer, environment: Record<string, string> = {}, backup?: ScriptedOpenAIServer) {
  const config = readConfig({
    LLM_PROVIDER: 'openai-compatible',
    LLM_BASE_URL: primary.url,
    LLM_MODEL: 'gpt-4o-mini',
    LLM_MAX_REQUEST_CHARS: '2000',
    ...(backup ? { LLM_BACKUP_PROVIDER: 'openai-compatible', LLM_BACKUP_BASE_URL: backup.url, LLM_BACKUP_MODEL: 'gpt-4o' } : {}),
    ...environment,
  });
  return createCodingModelRouter(config, { retry: { baseDelayMs: 10 } }) as ModelRouter;
}

const client = (router: ModelRouter, tokenBudget = 100_000, extra: Partial<ConstructorParameters<typeof ModelClient>[2]> = {}) =>
  new ModelClient(router, SETTINGS, { taskId: 'task-1', tokenBudget, ...extra });

describe('ModelClient (through the ModelRouter, over the scripted OpenAI-compatible server)', () => {
  it('counts tokens and estimated cost, and refuses calls once the task budget is spent', async () => {
    const server = await scripted([{ content: 'one', usage: { prompt_tokens: 800, completion_tokens: 300 } }, { content: 'two' }]);
    const model = client(routerFor(server), 1000);
    expect(await model.complete({ system: 's', prompt: 'p' })).toBe('one');
    expect(model.usage).toEqual({ input: 800, output: 300, total: 1100 });
    // gpt-4o-mini: $0.15 / $0.60 per million tokens.
    expect(model.costUsd).toBeCloseTo((800 * 0.15 + 300 * 0.6) / 1e6, 9);
    const refused = await model.complete({ system: 's', prompt: 'p' }).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(BudgetExceededError);
    expect((refused as Error).message).toBe('token budget exhausted: used 1100 of 1000 tokens');
    expect(server.requests).toHaveLength(1);
  });

  it('counts what a resumed task spent before the restart against its budget', async () => {
    const server = await scripted([{ content: 'never' }]);
    const model = client(routerFor(server), 1000, { initialUsage: { input: 900, output: 200, total: 1100 }, initialCostUsd: 0.5 });
    await expect(model.complete({ system: 's', prompt: 'p' })).rejects.toBeInstanceOf(BudgetExceededError);
    expect(model.usage.total).toBe(1100);
    expect(model.costUsd).toBe(0.5);
    expect(server.requests).toHaveLength(0);
  });

  it('waits for Retry-After on a 429 and then gets the answer', async () => {
    const server = await scripted([{ status: 429, headers: { 'retry-after': '1' } }, { content: 'after the wait' }]);
    const model = client(routerFor(server));
    const started = Date.now();
    expect(await model.complete({ system: 's', prompt: 'p' })).toBe('after the wait');
    expect(Date.now() - started).toBeGreaterThanOrEqual(990);
    expect(server.requests).toHaveLength(2);
  });

  it('fails over to the backup provider when the primary keeps failing', async () => {
    const primary = await scripted([{ status: 503 }, { status: 503 }]);
    const backup = await scripted([{ content: 'from the backup', usage: { prompt_tokens: 10, completion_tokens: 5 } }]);
    const router = routerFor(primary, { LLM_MAX_RETRIES: '1' }, backup);
    const model = client(router);
    expect(await model.complete({ system: 's', prompt: 'p' })).toBe('from the backup');
    expect(primary.requests).toHaveLength(2);
    expect(backup.requests).toHaveLength(1);
    // gpt-4o (the backup): $2.50 / $10 per million tokens.
    expect(model.costUsd).toBeCloseTo((10 * 2.5 + 5 * 10) / 1e6, 9);
    const records = await router.usage.list({});
    expect(records.map((record) => [record.purpose, record.outcome])).toEqual([
      ['coding', 'error'],
      ['coding', 'ok'],
    ]);
  });

  it('opens the circuit after repeated failures and says all providers failed', async () => {
    const server = await scripted([{ status: 500 }, { status: 500 }]);
    const router = routerFor(server, { LLM_MAX_RETRIES: '0', LLM_CIRCUIT_FAILURES: '2' });
    for (let call = 0; call < 3; call += 1) {
      await expect(client(router).complete({ system: 's', prompt: 'p' })).rejects.toBeInstanceOf(AllProvidersFailedError);
    }
    expect(server.requests).toHaveLength(2);
    expect(Object.values(router.circuitStates())).toEqual(['open']);
  });

  it('redacts secret values but sends code unchanged, and bounds the request', async () => {
    const server = await scripted([{ content: 'ok' }]);
    const source = [
      'const key = "sk-live-4f9a8b7c6d5e4f3a2b1c0d9e";',
      '-----BEGIN RSA PRIVATE KEY-----',
      'MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7',
      '-----END RSA PRIVATE KEY-----',
      'const url = "postgres://admin:hunter2secret@db/prod";',
      'token = getToken();',
      `headers.Authorization = \`Bearer \${token}\`;`,
    ].join('\n');
    await client(routerFor(server)).complete({ system: 's', prompt: `${source}\n${'x'.repeat(5000)}` });
    const sent = JSON.stringify(server.requests[0]?.body);
    for (const secret of ['sk-live-4f9a8b7c6d5e4f3a2b1c0d9e', 'MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7', 'hunter2secret']) {
      expect(sent).not.toContain(secret);
    }
    expect(sent).toContain('token = getToken();');
    expect(sent).toContain(`headers.Authorization = \`Bearer \${token}\`;`);
    expect(sent).toContain('characters cut');
    expect(sent.length).toBeLessThan(2600);
  });

});

describe('planRequirement (through the ModelClient)', () => {
  it('retries the planner once with the validation error, then accepts a valid plan', async () => {
    const server = await scripted([
      { content: '{"complexity": 7}' },
      { content: '{"complexity": 2, "files_to_modify": ["a.js"], "estimated_time_minutes": 3}' },
    ]);
    const plan = await planRequirement(client(routerFor(server)), 'a.js: function f', 'make f faster', undefined);
    expect(plan).toMatchObject({ complexity: 2, files_to_modify: ['a.js'], new_files_needed: [], risks: [] });
    expect(JSON.stringify(server.requests[1]?.body)).toMatch(/previous answer was invalid.*complexity/);
  });

  it('gives up on a planner that answers nonsense twice', async () => {
    const server = await scripted([{ content: 'I think you should…' }, { content: 'still no JSON' }]);
    await expect(planRequirement(client(routerFor(server)), '', 'x', undefined)).rejects.toThrow(/invalid twice/);
  });
});

describe('text bounds', () => {
  it('keeps head and tail', () => {
    const bounded = boundText(`${'a'.repeat(100)}${'b'.repeat(100)}`, 100);
    expect(bounded.startsWith('aaa')).toBe(true);
    expect(bounded.endsWith('bbb')).toBe(true);
    expect(bounded.length).toBeLessThan(140);
  });

  it('fits system and prompt, as escaped on the wire, within the limit', () => {
    const system = 'you are a coder';
    const prompt = '"quoted"\n'.repeat(1000);
    const bounded = boundPrompt(system, prompt, 2000);
    expect(JSON.stringify(system).length + JSON.stringify(bounded).length).toBeLessThanOrEqual(1800);
    expect(bounded).toContain('characters cut');
    expect(boundPrompt(system, 'short', 2000)).toBe('short');
  });
});
