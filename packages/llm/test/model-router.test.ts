import { generateText } from 'ai';
import { describe, expect, it } from 'vitest';
import { CircuitBreaker } from '../src/circuit-breaker.js';
import { BudgetExceededError, LlmTimeoutError, RequestTooLargeError } from '../src/errors.js';
import { analyzerFor, incidentContext, routerFor, scriptedServer, validAnalysis } from './fixtures.js';

const answer = { content: JSON.stringify(validAnalysis) };

describe('model router: retries, timeouts, failover, circuits, budgets', () => {
  it('honours Retry-After on a 429 before retrying', async () => {
    const server = await scriptedServer([{ status: 429, headers: { 'retry-after': '1' }, error_body: { error: { message: 'rate limited', type: 'rate_limit_error' } } }, answer]);
    const retries: number[] = [];
    const router = routerFor([server], { maxRetries: 2, retry: { baseDelayMs: 10, onRetry: (event) => retries.push(event.delayMs) } });
    const { analyzer } = analyzerFor(router);
    const started = performance.now();
    const outcome = await analyzer.analyze(incidentContext());
    const elapsed = performance.now() - started;
    expect(outcome.analyzer).toBe('llm');
    expect(retries).toEqual([1000]);
    expect(elapsed).toBeGreaterThanOrEqual(950);
    expect(server.requests).toHaveLength(2);
  });

  it('retries 5xx with exponential backoff and gives up after maxRetries', async () => {
    const server = await scriptedServer([{ status: 503 }, { status: 502 }, { status: 500 }]);
    const delays: number[] = [];
    const router = routerFor([server], { maxRetries: 2, retry: { baseDelayMs: 20, onRetry: (event) => delays.push(event.delayMs) } });
    const { scoped } = { scoped: router.scoped({ purpose: 'test' }) };
    await expect(generateText({ model: scoped.model, prompt: 'hi', maxRetries: 0 })).rejects.toThrow(/providers_failed|all providers failed/);
    expect(server.requests).toHaveLength(3);
    expect(delays).toHaveLength(2);
    expect(delays[0]).toBeGreaterThanOrEqual(16);
    expect(delays[1]).toBeGreaterThanOrEqual(32);
    expect(scoped.totals().errors).toBe(1);
  });

  it('does not retry a 400', async () => {
    const server = await scriptedServer([{ status: 400 }, answer]);
    const router = routerFor([server], { maxRetries: 3 });
    const { analyzer } = analyzerFor(router);
    const outcome = await analyzer.analyze(incidentContext());
    expect(outcome.analyzer).toBe('rules');
    expect(server.requests).toHaveLength(1);
  });

  it('times a slow call out and falls back to rules', async () => {
    const server = await scriptedServer([{ ...answer, delay_ms: 3_000 }]);
    const router = routerFor([server], { timeoutMs: 200 });
    const { analyzer } = analyzerFor(router);
    const started = performance.now();
    const outcome = await analyzer.analyze(incidentContext());
    expect(performance.now() - started).toBeLessThan(2_500);
    expect(outcome.analyzer).toBe('rules');
    expect(outcome.fallback_reason).toContain('timeout');
    expect(new LlmTimeoutError(200).code).toBe('timeout');
  });

  it('fails over from a down primary to the backup, and to rules when both are down', async () => {
    const primary = await scriptedServer(() => ({ status: 500 }));
    const backup = await scriptedServer([answer]);
    const { analyzer } = analyzerFor(routerFor([primary, backup]));
    const outcome = await analyzer.analyze(incidentContext());
    expect(outcome.analyzer).toBe('llm');
    expect(primary.requests).toHaveLength(1);
    expect(backup.requests).toHaveLength(1);
    expect(backup.requests[0]!.body.model).toBe('model-1');

    const bothDown = analyzerFor(routerFor([primary, await scriptedServer(() => ({ status: 503 }))]));
    const fallback = await bothDown.analyzer.analyze(incidentContext());
    expect(fallback.analyzer).toBe('rules');
    expect(fallback.fallback_reason).toMatch(/providers_failed.*provider-0.*provider-1/);
  });

  it('opens the circuit after repeated failures, answers with rules without calling, and closes after a good trial', async () => {
    let now = 1_000_000;
    let healthy = false;
    const server = await scriptedServer(() => (healthy ? answer : { status: 500 }));
    const router = routerFor([server], { circuit: { failureThreshold: 2, cooldownMs: 30_000, now: () => now } });
    const { analyzer } = analyzerFor(router);

    for (let index = 0; index < 2; index += 1) expect((await analyzer.analyze(incidentContext())).analyzer).toBe('rules');
    expect(router.circuitStates()).toEqual({ 'provider-0': 'open' });
    const before = server.requests.length;
    const open = await analyzer.analyze(incidentContext());
    expect(open.analyzer).toBe('rules');
    expect(open.fallback_reason).toContain('circuit_open');
    expect(server.requests.length).toBe(before);

    now += 30_000;
    expect(router.circuitStates()).toEqual({ 'provider-0': 'half-open' });
    healthy = true;
    const trial = await analyzer.analyze(incidentContext());
    expect(trial.analyzer).toBe('llm');
    expect(router.circuitStates()).toEqual({ 'provider-0': 'closed' });
  });

  it("stops when the caller aborts, without blaming the provider's circuit", async () => {
    const server = await scriptedServer([{ ...answer, delay_ms: 3_000 }]);
    const router = routerFor([server]);
    const { analyzer, fallback } = analyzerFor(router);
    const controller = new AbortController();
    setTimeout(() => controller.abort(new Error('incident closed')), 100);
    await expect(analyzer.analyze(incidentContext(), { signal: controller.signal })).rejects.toThrow();
    expect(fallback.calls).toBe(0);
    expect(router.breakers.get('provider-0')?.consecutiveFailures).toBe(0);
  });

  it('re-opens a half-open circuit when the trial call fails', () => {
    let now = 0;
    const breaker = new CircuitBreaker('p', { failureThreshold: 1, cooldownMs: 10, now: () => now });
    breaker.acquire();
    breaker.recordFailure();
    expect(breaker.state).toBe('open');
    expect(() => breaker.acquire()).toThrow(/circuit for p is open/);
    now = 10;
    breaker.acquire();
    expect(() => breaker.acquire()).toThrow(/open/);
    breaker.recordFailure();
    expect(breaker.state).toBe('open');
    now = 20;
    breaker.acquire();
    breaker.release();
    breaker.acquire();
    breaker.recordSuccess();
    expect(breaker.state).toBe('closed');
  });

  it('stops at the per-incident and daily token budgets', async () => {
    const server = await scriptedServer(() => ({ ...answer, usage: { prompt_tokens: 900, completion_tokens: 200 } }));
    const router = routerFor([server], { incidentTokenBudget: 1_000, dailyTokenBudget: 3_000 });
    const { analyzer } = analyzerFor(router);
    const context = incidentContext();
    expect((await analyzer.analyze(context)).analyzer).toBe('llm');
    const second = await analyzer.analyze(context);
    expect(second.analyzer).toBe('rules');
    expect(second.fallback_reason).toContain('incident_budget_exceeded');
    expect((await analyzer.analyze(incidentContext())).analyzer).toBe('llm');
    expect((await analyzer.analyze(incidentContext())).analyzer).toBe('llm');
    const daily = await analyzer.analyze(incidentContext());
    expect(daily.fallback_reason).toContain('daily_budget_exceeded');
    expect(server.requests).toHaveLength(3);
    expect(new BudgetExceededError('daily', 1, 1).code).toBe('daily_budget_exceeded');
  });

  it('keeps a per-scope (task) token budget, counting what the scope spent before, instead of the incident budget', async () => {
    const server = await scriptedServer(() => ({ content: 'ok', usage: { prompt_tokens: 400, completion_tokens: 100 } }));
    const router = routerFor([server], { incidentTokenBudget: 1_000 });
    const scoped = router.scoped({ task_id: 'task-7', purpose: 'coding', tokenBudget: 2_000, priorTokens: 1_000 });
    await generateText({ model: scoped.model, prompt: 'one', maxRetries: 0 });
    await generateText({ model: scoped.model, prompt: 'two', maxRetries: 0 });
    const refused = await generateText({ model: scoped.model, prompt: 'three', maxRetries: 0 }).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(BudgetExceededError);
    expect(refused).toMatchObject({ budget: 'task', used: 2_000, limit: 2_000, code: 'task_budget_exceeded' });
    expect(server.requests).toHaveLength(2);
    expect(scoped.totals()).toMatchObject({ calls: 2, prompt_tokens: 800, completion_tokens: 200 });
  });

  it('redacts with the scope\'s profile: code is sent unchanged, secret values are not', async () => {
    const server = await scriptedServer(() => ({ content: 'ok' }));
    const router = routerFor([server]);
    const prompt = 'token = getToken();\nconst key = "sk-live-4f9a8b7c6d5e4f3a2b1c0d9e";';
    await generateText({ model: router.scoped({ task_id: 't', purpose: 'coding', redaction: 'code' }).model, prompt, maxRetries: 0 });
    await generateText({ model: router.scoped({ purpose: 'investigation' }).model, prompt, maxRetries: 0 });
    const [code, operations] = server.requests.map((request) => request.raw);
    expect(code).toContain('token = getToken();');
    expect(code).not.toContain('sk-live-4f9a8b7c6d5e4f3a2b1c0d9e');
    expect(operations).not.toContain('getToken');
    expect(operations).not.toContain('sk-live-4f9a8b7c6d5e4f3a2b1c0d9e');
  });

  it('refuses a request larger than the size bound without sending it', async () => {
    const server = await scriptedServer([answer]);
    const router = routerFor([server], { maxRequestChars: 2_000 });
    const { analyzer } = analyzerFor(router);
    const outcome = await analyzer.analyze(incidentContext());
    expect(outcome.fallback_reason).toContain('request_too_large');
    expect(server.requests).toHaveLength(0);
    expect(new RequestTooLargeError(3, 2).code).toBe('request_too_large');
  });

  it('streams through the router with usage recorded', async () => {
    const server = await scriptedServer([{ content: 'streamed answer', usage: { prompt_tokens: 5, completion_tokens: 2 } }]);
    const router = routerFor([server]);
    const scoped = router.scoped({ purpose: 'coding', incident_id: 'task-1' });
    const { streamText } = await import('ai');
    const result = streamText({ model: scoped.model, prompt: 'hi', maxRetries: 0 });
    let text = '';
    for await (const delta of result.textStream) text += delta;
    expect(text).toBe('streamed answer');
    expect(scoped.totals()).toMatchObject({ calls: 1, prompt_tokens: 5, completion_tokens: 2 });
    expect(await router.usage.list({ incident_id: 'task-1' })).toHaveLength(1);
  });
});
