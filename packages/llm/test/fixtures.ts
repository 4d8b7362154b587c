import type { AnalysisContext, AnalysisOutcome, Analyzer } from '@atb/contracts';
import { startScriptedOpenAIServer, type ReplyScript, type ScriptedOpenAIServer } from '@atb/testing';
import { createOpenAICompatible } from '@ai-sdk/openai-compatible';
import { afterEach } from 'vitest';
import type { z } from 'zod';
import type { modelAnalysisSchema } from '../src/catalog-actions.js';
import { LlmAnalyzer, type LlmAnalyzerOptions } from '../src/llm-analyzer.js';
import { ModelRouter, type ModelRouterOptions } from '../src/model-router.js';
import { InMemoryUsageStore } from '../src/usage-store.js';

/** A fixed-answer analyzer standing in for the agent's rule analyzer (a fake of the interface). */
export class FixedAnalyzer implements Analyzer {
  readonly name = 'rules';
  calls = 0;
  async analyze(context: AnalysisContext): Promise<AnalysisOutcome> {
    this.calls += 1;
    return {
      analyzer: this.name,
      analysis: {
        issue_detected: true,
        severity: 'high',
        issue_type: 'service_down',
        description: `${context.alertname} on ${context.service}`,
        root_cause: 'rule: the service stopped answering',
        recommended_actions: [{ action: 'restart', target: context.service, risk: 'medium' }],
        confidence: 0.7,
        requires_immediate_action: true,
        risk_assessment: 'restart interrupts the service briefly',
      },
    };
  }
}

export function incidentContext(overrides: Partial<AnalysisContext> = {}): AnalysisContext {
  return {
    incident_id: `inc-${Math.random().toString(36).slice(2, 10)}`,
    alertname: 'PredictorDown',
    service: 'market-predictor',
    severity: 'critical',
    alerts: [
      {
        fingerprint: 'abc123',
        status: 'firing',
        labels: { alertname: 'PredictorDown', service: 'market-predictor', severity: 'critical' },
        annotations: { summary: 'market-predictor is down', description: 'up == 0 for 1m' },
        startsAt: '2026-01-01T00:00:00Z',
        endsAt: '0001-01-01T00:00:00Z',
      },
    ],
    health: { reachable: false, error: 'connect ECONNREFUSED 127.0.0.1:8000' },
    metrics: { 'up{job="market-predictor"}': 0 },
    history: [{ incident_id: 'inc-old', issue_type: 'service_down', action: 'restart', effective: true }],
    learning: [{ action: 'restart', attempts: 4, successes: 4, effective_rate: 1 }],
    candidate_actions: [
      { action: 'restart', risk: 'medium' },
      { action: 'escalate', risk: 'low' },
    ],
    flap_count: 0,
    ...overrides,
  };
}

/** A valid answer of a model (its recommendations carry no risk: that comes from the runbook). */
export const validAnalysis: z.input<typeof modelAnalysisSchema> = {
  issue_detected: true,
  severity: 'critical',
  issue_type: 'service_down',
  description: 'market-predictor exited and does not answer /health.',
  root_cause: 'The process crashed (exit code 137 in inspect); logs show an out-of-memory kill.',
  recommended_actions: [{ action: 'restart', target: 'market-predictor', reason: 'the process exited' }, { action: 'escalate', target: 'a human' }],
  confidence: 0.85,
  requires_immediate_action: true,
  risk_assessment: 'A restart interrupts in-flight requests for a few seconds.',
};

const servers: ScriptedOpenAIServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

/** Starts a scripted server closed after the test. */
export async function scriptedServer(script: ReplyScript): Promise<ScriptedOpenAIServer> {
  const server = await startScriptedOpenAIServer(script);
  servers.push(server);
  return server;
}

/** An openai-compatible model pointed at a scripted server. */
export function scriptedModel(server: ScriptedOpenAIServer, modelId = 'scripted-model') {
  return createOpenAICompatible({ name: 'scripted', baseURL: server.url, includeUsage: true }).chatModel(modelId);
}

/** A router over scripted servers with test-friendly defaults. */
export function routerFor(servers: ScriptedOpenAIServer[], overrides: Partial<ModelRouterOptions> = {}): ModelRouter {
  return new ModelRouter({
    providers: servers.map((server, index) => ({ label: `provider-${index}`, model: scriptedModel(server, `model-${index}`) })),
    usage: new InMemoryUsageStore(),
    timeoutMs: 5_000,
    maxRetries: 0,
    retry: { baseDelayMs: 10, maxDelayMs: 50 },
    maxRequestChars: 200_000,
    incidentTokenBudget: 1_000_000,
    dailyTokenBudget: 10_000_000,
    circuit: { failureThreshold: 3, cooldownMs: 60_000 },
    ...overrides,
  });
}

export function analyzerFor(router: ModelRouter, overrides: Partial<LlmAnalyzerOptions> = {}) {
  const fallback = new FixedAnalyzer();
  const analyzer = new LlmAnalyzer({
    router,
    fallback,
    ports: {},
    maxSteps: 6,
    toolOutputChars: 3_000,
    temperature: 0.1,
    maxOutputTokens: 1_000,
    ...overrides,
  });
  return { analyzer, fallback };
}

/** All text the server received, for scans. */
export function everything(server: ScriptedOpenAIServer): string {
  return server.requests.map((request) => request.raw).join('\n');
}
