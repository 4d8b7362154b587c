import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type AnalysisContext, analysisResultSchema } from '@atb/contracts';
import { ConfigError } from '@atb/service-kit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PrometheusClient } from '../src/analysis/prometheus-client.js';
import { RuleAnalyzer } from '../src/analysis/rule-analyzer.js';
import { defaultRunbooksFile, loadRunbooks, matchRunbook, runbookSchema } from '../src/analysis/runbooks.js';
import { readConfig } from '../src/config.js';
import { rankCandidates } from '../src/learning/candidate-ranking.js';
import { conditionOf } from '../src/monitoring/health-monitor.js';

const runbooks = loadRunbooks(defaultRunbooksFile());

function context(alertname: string, overrides: Partial<AnalysisContext> = {}): AnalysisContext {
  const runbook = matchRunbook(runbooks, { alertname });
  return {
    incident_id: 'inc_1',
    alertname,
    service: 'market-predictor',
    severity: 'critical',
    alerts: [{ fingerprint: 'f', status: 'firing', labels: { alertname, service: 'market-predictor' }, annotations: { summary: `${alertname} fired` }, startsAt: '', endsAt: '' }],
    history: [],
    learning: [],
    candidate_actions: runbook!.candidates.map((candidate) => ({ action: candidate.action, risk: candidate.risk })),
    flap_count: 0,
    ...overrides,
  };
}

describe('runbooks', () => {
  it.each([
    ['MarketPredictorDown', 'service-down', 'restart'],
    ['TargetDown', 'service-down', 'restart'],
    ['MarketPredictorHung', 'service-hung', 'restart'],
    ['MarketPredictorHighMemory', 'memory-leak', 'restart'],
    ['MarketPredictorHighErrorRate', 'error-rate-after-deploy', 'logs'],
    ['MarketPredictorHighLatency', 'high-latency', 'inspect'],
    ['TargetSlow', 'high-latency', 'inspect'],
    ['SomethingNobodyKnows', 'default', 'escalate'],
  ])('%s → runbook %s, first candidate %s', (alertname, name, first) => {
    const runbook = matchRunbook(runbooks, { alertname });
    expect(runbook?.name).toBe(name);
    expect(runbook?.candidates[0]?.action).toBe(first);
  });

  it('label patterns must all match', () => {
    const custom = [
      runbookSchema.parse({ ...runbooks.find((runbook) => runbook.name === 'service-down')!, name: 'only-prod', match: { alertname: '.*Down', labels: { env: 'prod' } } }),
      ...runbooks,
    ];
    expect(matchRunbook(custom, { alertname: 'XDown', env: 'prod' })?.name).toBe('only-prod');
    expect(matchRunbook(custom, { alertname: 'XDown', env: 'dev' })?.name).toBe('service-down');
  });
});

describe('RuleAnalyzer', () => {
  const analyzer = new RuleAnalyzer(runbooks);

  it('produces the seed-003 fields, validated by the shared schema', async () => {
    const { analysis, analyzer: name } = await analyzer.analyze(context('MarketPredictorDown', { health: { reachable: false, error: 'connection refused' } }));
    expect(name).toBe('rules');
    expect(analysisResultSchema.parse(analysis)).toEqual(analysis);
    expect(analysis).toMatchObject({ issue_detected: true, severity: 'critical', issue_type: 'service_down', requires_immediate_action: true });
    expect(analysis.root_cause).toContain('connection refused');
    expect(analysis.recommended_actions).toEqual([
      { action: 'restart', target: 'market-predictor', risk: 'medium', reason: expect.stringContaining('runbook service-down') },
      { action: 'escalate', target: 'market-predictor', risk: 'medium', reason: 'runbook service-down hands this to a human' },
    ]);
  });

  it('confidence follows the evidence: failing health, PromQL and good history raise it; healthy target and flapping lower it', async () => {
    const base = (await analyzer.analyze(context('MarketPredictorDown'))).analysis.confidence;
    const confirmed = (await analyzer.analyze(context('MarketPredictorDown', {
      health: { reachable: false, error: 'refused' },
      metrics: { 'up == 0': 1 },
      learning: [{ action: 'restart', attempts: 4, successes: 4, effective_rate: 1 }],
      history: [{ incident_id: 'old', action: 'restart', effective: true }],
    }))).analysis.confidence;
    const contradicted = (await analyzer.analyze(context('MarketPredictorDown', { health: { reachable: true, status: 'healthy', response_time_ms: 3 }, flap_count: 2 }))).analysis.confidence;
    expect(confirmed).toBeGreaterThan(base);
    expect(contradicted).toBeLessThan(base);
    const failing = (await analyzer.analyze(context('MarketPredictorDown', { learning: [{ action: 'restart', attempts: 5, successes: 0, effective_rate: 0 }] }))).analysis.confidence;
    expect(failing).toBeLessThan(base);
  });

  it('no firing alert → no issue detected', async () => {
    const resolved = context('MarketPredictorDown');
    resolved.alerts = resolved.alerts.map((alert) => ({ ...alert, status: 'resolved' }));
    expect((await analyzer.analyze(resolved)).analysis.issue_detected).toBe(false);
  });
});

describe('candidate ranking by learning statistics', () => {
  const latency = matchRunbook(runbooks, { alertname: 'HighLatency' })!.candidates;
  it('keeps runbook order without statistics, ranks proven actions first, escalate last', () => {
    expect(rankCandidates(latency, []).map((candidate) => candidate.action)).toEqual(['inspect', 'stats', 'restart', 'escalate']);
    const stats = [{ alertname: 'HighLatency', service: 's', action: 'restart', attempts: 3, successes: 3, effective_rate: 1, mean_time_to_recovery_s: 20 }];
    expect(rankCandidates(latency, stats).map((candidate) => candidate.action)).toEqual(['restart', 'inspect', 'stats', 'escalate']);
    const failing = [{ ...stats[0]!, successes: 0, effective_rate: 0 }];
    expect(rankCandidates(latency, failing).map((candidate) => candidate.action)).toEqual(['inspect', 'stats', 'restart', 'escalate']);
  });
});

describe('polling conditions', () => {
  const reading = { checked_at: '', response_time_ms: 10 };
  it.each([
    [{ ...reading, reachable: false, error: 'refused' }, 'down'],
    [{ ...reading, reachable: true, http_status: 503, status: 'unhealthy' }, 'down'],
    [{ ...reading, reachable: true, http_status: 200, status: 'degraded' }, 'degraded'],
    [{ ...reading, reachable: true, http_status: 200, status: 'healthy', response_time_ms: 5000 }, 'slow'],
    [{ ...reading, reachable: true, http_status: 200, status: 'healthy' }, undefined],
  ])('%j → %s', (health, expected) => {
    expect(conditionOf(health, 2000)).toBe(expected);
  });
});

describe('PromQL client (against a scripted Prometheus HTTP API)', () => {
  let server: Server;
  let url: string;
  const queries: string[] = [];
  beforeAll(async () => {
    server = createServer((request, response) => {
      const query = new URL(request.url ?? '/', 'http://x').searchParams.get('query') ?? '';
      queries.push(query);
      const result = query.startsWith('up') ? [{ metric: {}, value: [1700000000, '0'] }] : query === 'broken' ? null : [];
      if (result === null) {
        response.writeHead(500).end('boom');
        return;
      }
      response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ status: 'success', data: { resultType: 'vector', result } }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('reads the first sample, null for empty or failed queries, and caches within the TTL', async () => {
    const client = new PrometheusClient(url, { cacheTtlSeconds: 60, timeoutMs: 1000 });
    expect(await client.query('up{job="x"}')).toBe(0);
    expect(await client.query('up{job="x"}')).toBe(0);
    expect(queries.filter((query) => query === 'up{job="x"}')).toHaveLength(1);
    expect(await client.query('nothing')).toBeNull();
    expect(await client.query('broken')).toBeNull();
    expect(await new PrometheusClient('http://127.0.0.1:9', { cacheTtlSeconds: 0, timeoutMs: 200 }).query('up')).toBeNull();
  });
});

describe('configuration', () => {
  it('defaults work on one machine; production requires webhook credentials, the tokens and the audit key', () => {
    const config = readConfig({});
    expect(config).toMatchObject({ API_PORT: 8001, SAFETY_MODE: true, MONITORING_INTERVAL: 30, HEALTH_CHECK_TIMEOUT: 10, AI_COMMAND_GATEWAY_SOURCE_ID: 'devops-agent', INCIDENT_GROUP_BY: ['service', 'alertname'] });
    expect(() => readConfig({ ENVIRONMENT: 'production' })).toThrow(ConfigError);
    try {
      readConfig({ ENVIRONMENT: 'production' });
    } catch (error) {
      expect((error as ConfigError).problems.map((problem) => problem.variable).sort()).toEqual(['AGENT_API_TOKEN', 'AI_COMMAND_GATEWAY_TOKEN', 'AUDIT_HMAC_KEY', 'WEBHOOK_BEARER_TOKEN']);
    }
    expect(readConfig({ ENVIRONMENT: 'production', WEBHOOK_BEARER_TOKEN: 't', AI_COMMAND_GATEWAY_TOKEN: 'g', AGENT_API_TOKEN: 'agent-token-agent-token', AUDIT_HMAC_KEY: 'k'.repeat(32) }).ENVIRONMENT).toBe('production');
    expect(() => readConfig({ WEBHOOK_USERNAME: 'only-user' })).toThrow(/WEBHOOK_PASSWORD/);
    expect(() => readConfig({ SAFETY_MODE: 'maybe' })).toThrow(/SAFETY_MODE/);
  });
});
