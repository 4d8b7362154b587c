import type { App } from '@atb/service-kit';
import { Counter, Histogram, type Registry } from 'prom-client';
import { z } from 'zod';
import type { ModelRouter } from './model-router.js';
import { startOfUtcDay, totalsOf, type UsageRecord, type UsageStore } from './usage-store.js';

const usageQuerySchema = z.object({
  since: z.iso.datetime({ error: 'expected an ISO 8601 date-time, e.g. 2026-01-31T00:00:00Z' }).optional(),
  incident_id: z.string().min(1).max(200).optional(),
  limit: z.coerce.number().int().min(1).max(500).default(50),
});

/**
 * Registers `GET /llm/usage`: whether an LLM is configured, circuit states, today's totals
 * against the daily budget, totals per model, and the most recent calls (filter with
 * `since`, `incident_id`, `limit`).
 */
export function registerLlmRoutes(
  app: App,
  options: { usage: UsageStore; router?: ModelRouter; dailyTokenBudget?: number; incidentTokenBudget?: number },
): void {
  app.get(
    '/llm/usage',
    {
      schema: {
        summary: 'LLM calls, tokens and estimated cost',
        tags: ['llm'],
        querystring: usageQuerySchema,
      },
    },
    async (request) => {
      const query = request.query;
      const since = query.since ? new Date(query.since) : startOfUtcDay();
      const records = await options.usage.list({ since, ...(query.incident_id ? { incident_id: query.incident_id } : {}) });
      const byModel: Record<string, ReturnType<typeof totalsOf>> = {};
      const groups = new Map<string, UsageRecord[]>();
      for (const record of records) {
        const key = `${record.provider}`;
        groups.set(key, [...(groups.get(key) ?? []), record]);
      }
      for (const [key, group] of groups) byModel[key] = totalsOf(group);
      const today = totalsOf(await options.usage.list({ since: startOfUtcDay() }));
      return {
        enabled: options.router !== undefined,
        providers: options.router?.providerLabels ?? [],
        circuits: options.router?.circuitStates() ?? {},
        since: since.toISOString(),
        totals: totalsOf(records),
        by_provider: byModel,
        daily_budget: {
          limit_tokens: options.dailyTokenBudget ?? null,
          used_tokens: today.prompt_tokens + today.completion_tokens,
        },
        incident_budget_tokens: options.incidentTokenBudget ?? null,
        recent: records.slice(-query.limit).reverse(),
      };
    },
  );
}

/**
 * Prometheus metrics of model calls on a service's registry; pass the returned function as
 * the router's `onCall`: `llm_calls_total{provider,outcome}`, `llm_tokens_total{provider,kind}`,
 * `llm_estimated_cost_usd_total{provider}`, `llm_call_duration_seconds{provider}`.
 */
export function createLlmMetrics(registry: Registry): (record: UsageRecord) => void {
  const calls = new Counter({
    name: 'llm_calls_total',
    help: 'Model calls by provider and outcome.',
    labelNames: ['provider', 'outcome'] as const,
    registers: [registry],
  });
  const tokens = new Counter({
    name: 'llm_tokens_total',
    help: 'Tokens by provider and kind (prompt, completion).',
    labelNames: ['provider', 'kind'] as const,
    registers: [registry],
  });
  const cost = new Counter({
    name: 'llm_estimated_cost_usd_total',
    help: 'Estimated cost of model calls in US dollars (price table in packages/llm/src/pricing.ts).',
    labelNames: ['provider'] as const,
    registers: [registry],
  });
  const duration = new Histogram({
    name: 'llm_call_duration_seconds',
    help: 'Duration of model calls (including retries).',
    labelNames: ['provider'] as const,
    buckets: [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 30, 60],
    registers: [registry],
  });
  return (record) => {
    calls.inc({ provider: record.provider, outcome: record.outcome });
    tokens.inc({ provider: record.provider, kind: 'prompt' }, record.prompt_tokens);
    tokens.inc({ provider: record.provider, kind: 'completion' }, record.completion_tokens);
    cost.inc({ provider: record.provider }, record.estimated_cost_usd);
    duration.observe({ provider: record.provider }, record.duration_ms / 1000);
  };
}
