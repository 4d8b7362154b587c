import { createService } from '@atb/service-kit';
import { generateText } from 'ai';
import { describe, expect, it } from 'vitest';
import { createLlmMetrics, registerLlmRoutes } from '../src/usage-routes.js';
import { routerFor, scriptedServer } from './fixtures.js';

describe('GET /llm/usage and metrics', () => {
  it('reports calls, tokens, cost and circuits, and validates its query', async () => {
    const server = await scriptedServer(() => ({ content: 'ok', usage: { prompt_tokens: 1000, completion_tokens: 100 } }));
    const service = await createService({
      name: 'llm-usage-test',
      version: '0.0.0',
      config: { ENVIRONMENT: 'test', LOG_LEVEL: 'silent', API_HOST: '127.0.0.1', API_PORT: 0 },
      logger: false,
    });
    const onCall = createLlmMetrics(service.metrics.registry);
    const router = routerFor([server], { onCall });
    registerLlmRoutes(service.app, { usage: router.usage, router, dailyTokenBudget: 5000 });
    await generateText({ model: router.scoped({ purpose: 'test', incident_id: 'inc-1' }).model, prompt: 'a', maxRetries: 0 });
    await generateText({ model: router.scoped({ purpose: 'test', incident_id: 'inc-2' }).model, prompt: 'b', maxRetries: 0 });

    const response = await service.app.inject({ method: 'GET', url: '/llm/usage?incident_id=inc-1' });
    expect(response.statusCode).toBe(200);
    const body = response.json();
    expect(body).toMatchObject({
      enabled: true,
      providers: ['provider-0'],
      circuits: { 'provider-0': 'closed' },
      totals: { calls: 1, prompt_tokens: 1000, completion_tokens: 100 },
      daily_budget: { limit_tokens: 5000, used_tokens: 2200 },
    });
    expect(body.recent[0]).toMatchObject({ incident_id: 'inc-1', model: 'model-0', outcome: 'ok' });

    const bad = await service.app.inject({ method: 'GET', url: '/llm/usage?since=yesterday' });
    expect(bad.statusCode).toBe(422);
    expect(bad.body).toContain('since');

    const metrics = await service.metrics.registry.metrics();
    expect(metrics).toMatch(/llm_tokens_total\{[^}]*provider="provider-0"[^}]*kind="prompt"[^}]*\} 2000/);
    expect(metrics).toMatch(/llm_calls_total\{[^}]*outcome="ok"[^}]*\} 2/);
    await service.close();
  });
});
