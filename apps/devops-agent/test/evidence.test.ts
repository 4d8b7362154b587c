import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { AnalysisContext } from '@atb/contracts';
import { freePort } from '@atb/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chooseRunbook, runbookSubject } from '../src/analysis/choose-runbook.js';
import { evidenceFacts } from '../src/analysis/evidence/evidence-facts.js';
import { evidencePorts } from '../src/analysis/evidence/evidence-sources.js';
import { gatherEvidence } from '../src/analysis/evidence/gather-evidence.js';
import { healthDetail } from '../src/analysis/evidence/health-detail.js';
import { logSignatures } from '../src/analysis/evidence/log-signatures.js';
import { runtimeView } from '../src/analysis/evidence/runtime-view.js';
import { RuleAnalyzer } from '../src/analysis/rule-analyzer.js';
import { defaultRunbooksFile, loadRunbooks } from '../src/analysis/runbooks.js';
import { readConfig } from '../src/config.js';
import { GatewayClient } from '../src/remediation/gateway-client.js';
import { ScriptedGateway } from './support/scripted-gateway.js';

const runbooks = loadRunbooks(defaultRunbooksFile());
const reading = { checked_at: '', response_time_ms: 12 };
const noHistory = { flap_count: 0, ineffective_restarts: 0, effective_restarts: 0 };

describe('evidence digests', () => {
  it.each([
    [{ ...reading, reachable: false, error: 'connect ECONNREFUSED 127.0.0.1:8000' }, 'refused'],
    [{ ...reading, reachable: false, error: 'no answer within 2000 ms' }, 'timeout'],
    [{ ...reading, reachable: true, http_status: 503, status: 'unhealthy' }, 'http-error'],
    [{ ...reading, reachable: true, http_status: 200, status: 'degraded' }, 'unhealthy'],
    [{ ...reading, reachable: true, http_status: 200, status: 'healthy', response_time_ms: 4000 }, 'slow'],
    [{ ...reading, reachable: true, http_status: 200, status: 'healthy' }, 'healthy'],
  ])('health %j → %s', (health, outcome) => {
    expect(healthDetail(health, 2000).outcome).toBe(outcome);
  });

  it('names the dependencies a health body reports down', () => {
    const body = { status: 'degraded', dependencies: { price_feed: 'down', database: { status: 'ok' } } };
    expect(healthDetail({ ...reading, reachable: true, http_status: 200, status: 'degraded', body }, 2000).dependencies_down).toEqual(['price_feed']);
  });

  it('reads the gateway inspect answer and the Engine API document alike', () => {
    const gateway = { state: 'exited', exit_code: 137, oom_killed: true, restart_count: 2, image: 'localhost/app:2', started_at: 't',
      image_history: [{ image: 'localhost/app:1', first_seen_at: 'a' }, { image: 'localhost/app:2', first_seen_at: '2026-01-01T00:00:00Z' }] };
    expect(runtimeView(gateway)).toEqual({ state: 'exited', running: false, exit_code: 137, oom_killed: true, restart_count: 2, started_at: 't', image: 'localhost/app:2', image_changed_at: '2026-01-01T00:00:00Z', previous_image: 'localhost/app:1' });
    expect(runtimeView({ State: { Status: 'running', Running: true, OOMKilled: false, ExitCode: 0 }, RestartCount: 0, Config: { Image: 'x' } })).toMatchObject({ state: 'running', running: true, image: 'x' });
    expect(runtimeView('not a document')).toBeUndefined();
  });

  it('counts error signatures in log lines and names the dependency', () => {
    const logs = logSignatures([
      'INFO GET /predict status=200',
      'ERROR GET /predict status=502 connect ECONNREFUSED feed.example:443',
      'ERROR GET /predict status=502 connect ECONNREFUSED feed.example:443',
      'FATAL ERROR: Reached heap limit Allocation failed - JavaScript heap out of memory',
      'Error: certificate has expired',
    ]);
    expect(logs.lines_read).toBe(5);
    expect(logs.signatures).toEqual([
      { kind: 'dependency-refused', count: 2, example: 'ERROR GET /predict status=502 connect ECONNREFUSED feed.example:443', dependency: 'feed.example:443' },
      { kind: 'oom', count: 1, example: expect.stringContaining('heap out of memory') },
      { kind: 'certificate', count: 1, example: 'Error: certificate has expired' },
    ]);
  });

  it('keeps the newest matched lines as written, or the newest lines when none matched', () => {
    const errors = Array.from({ length: 14 }, (_, index) => `ERROR request ${index} failed`);
    expect(logSignatures(['INFO started', ...errors, 'INFO GET /health status=200']).excerpt).toEqual(errors.slice(-10));
    const quiet = Array.from({ length: 8 }, (_, index) => `INFO request ${index} answered`);
    expect(logSignatures(['', ...quiet, '  ']).excerpt).toEqual(quiet.slice(-5));
    expect(logSignatures([]).excerpt).toBeUndefined();
  });

  it('derives the facts runbooks match on, including the combinations', () => {
    const base = { gathered_at: '2026-03-02T10:30:00Z', budget_ms: 1000, duration_ms: 1, sources: [], history: noHistory };
    expect(evidenceFacts({ ...base, health: { outcome: 'timeout' }, runtime: { state: 'running', running: true } })).toEqual(['health-timeout', 'process-running']);
    const deploy = evidenceFacts({ ...base, runtime: { state: 'running', running: true, image: 'b', previous_image: 'a', image_changed_at: '2026-03-02T10:10:00Z' }, metrics: { error_ratio: 0.4 } });
    expect(deploy).toContain('deploy-regression');
    const old = evidenceFacts({ ...base, runtime: { state: 'running', running: true, image: 'b', previous_image: 'a', image_changed_at: '2026-03-01T10:10:00Z' }, metrics: { error_ratio: 0.4 } });
    expect(old).not.toContain('deploy-regression');
    expect(evidenceFacts({ ...base, history: { flap_count: 6, ineffective_restarts: 3, effective_restarts: 0 } })).toEqual(['flapping', 'restarts-ineffective']);
  });
});

describe('deciding on evidence, not on the alert name', () => {
  const base = { gathered_at: '2026-03-02T10:30:00Z', budget_ms: 1000, duration_ms: 1, sources: [], history: noHistory };
  const decide = (alertname: string, evidence: Omit<Parameters<typeof evidenceFacts>[0], 'gathered_at' | 'budget_ms' | 'duration_ms' | 'sources' | 'history'> & { history?: typeof noHistory }, summary = `${alertname} fired`) => {
    const full = { ...base, ...evidence };
    const facts = evidenceFacts(full);
    const alerts = [{ status: 'firing' as const, labels: { alertname }, annotations: { summary } }];
    const { match, candidates } = chooseRunbook(runbooks, runbookSubject(alerts, { alertname }, { facts }), []);
    return { runbook: match?.runbook.name, first: candidates[0]?.action };
  };

  it.each([
    ['MarketPredictorDown', { health: { outcome: 'timeout' as const }, runtime: { state: 'running', running: true } }, 'service-hung', 'restart'],
    ['MarketPredictorDown', { health: { outcome: 'refused' as const }, runtime: { state: 'exited', running: false, exit_code: 137, oom_killed: true } }, 'memory-leak', 'restart'],
    ['SomethingNew', { health: { outcome: 'refused' as const }, runtime: { state: 'exited', running: false, exit_code: 1 } }, 'service-down', 'restart'],
    ['HighResponseTime', { health: { outcome: 'slow' as const } }, 'high-latency', 'inspect'],
    ['DiskAlmostFull', { metrics: { disk_used_ratio: 0.97 } }, 'disk-full', 'escalate'],
    ['PredictorErrors', { health: { outcome: 'unhealthy' as const, dependencies_down: ['price_feed'] }, runtime: { state: 'running', running: true } }, 'dependency-outage', 'escalate'],
    ['MarketPredictorDown', { health: { outcome: 'refused' as const }, runtime: { state: 'exited', running: false, exit_code: 1 }, history: { flap_count: 6, ineffective_restarts: 0, effective_restarts: 5 } }, 'flapping', 'escalate'],
  ])('%s with %j → %s, first %s', (alertname, evidence, runbook, first) => {
    expect(decide(alertname, evidence)).toEqual({ runbook, first });
  });

  it('never restarts again after restarts proved ineffective', () => {
    const evidence = { health: { outcome: 'refused' as const }, runtime: { state: 'exited', running: false, exit_code: 1 }, history: { flap_count: 0, ineffective_restarts: 3, effective_restarts: 0 } };
    expect(decide('MarketPredictorDown', evidence)).toEqual({ runbook: 'service-down', first: 'escalate' });
  });
});

describe('evidence has a deadline', () => {
  let hanging: Server;
  let hangingUrl: string;
  const held = new Set<ServerResponse>();
  let gateway: ScriptedGateway;

  beforeAll(async () => {
    hanging = createServer((_request, response) => void held.add(response));
    await new Promise<void>((resolve) => hanging.listen(0, '127.0.0.1', resolve));
    hangingUrl = `http://127.0.0.1:${(hanging.address() as AddressInfo).port}`;
    gateway = new ScriptedGateway({ token: 'tok-0123456789abcdef' });
    gateway.evidenceBehaviour = { kind: 'hang' };
    await gateway.start();
  });
  afterAll(async () => {
    for (const response of held) response.destroy();
    await new Promise<void>((resolve) => hanging.close(() => resolve()));
    await gateway.stop();
  });

  it('a hanging gateway, Prometheus and log source are recorded unavailable within the budget, and the decision is still made', async () => {
    const config = readConfig({ PROMETHEUS_URL: hangingUrl, HEALTH_CHECK_TIMEOUT: '30', SLOW_RESPONSE_THRESHOLD_MS: '2000' });
    const client = new GatewayClient({ baseUrl: gateway.url, sourceId: 'devops-agent', timeoutMs: 60_000, attempts: 1, backoffMs: 10, token: 'tok-0123456789abcdef' });
    // The health probe goes to a port nothing listens on: refused, answered at once.
    const ports = evidencePorts(config, client, { service: 'market-predictor', container: 'market-predictor', healthUrl: `http://127.0.0.1:${await freePort()}` });
    const evidence = await gatherEvidence(ports, noHistory, 700);
    const status = Object.fromEntries(evidence.sources.map((source) => [source.source, source]));
    for (const source of ['runtime', 'logs', 'metrics']) {
      expect(status[source]).toMatchObject({ status: 'unavailable', detail: 'no answer within the evidence budget' });
      expect(status[source]!.duration_ms).toBeGreaterThanOrEqual(650);
    }
    expect(status.health).toMatchObject({ status: 'ok' });
    expect(evidence.health?.outcome).toBe('refused');
    expect(evidence.duration_ms).toBeLessThan(5000);
    expect(gateway.evidenceRequests.length).toBeGreaterThanOrEqual(2);

    const context: AnalysisContext = {
      incident_id: 'inc_deadline', alertname: 'MarketPredictorDown', service: 'market-predictor', severity: 'critical',
      alerts: [{ fingerprint: 'f', status: 'firing', labels: { alertname: 'MarketPredictorDown' }, annotations: { summary: 'down' }, startsAt: '', endsAt: '' }],
      history: [], learning: [], candidate_actions: [{ action: 'restart', risk: 'medium' }, { action: 'escalate', risk: 'low' }], flap_count: 0, evidence,
    };
    const { analysis } = await new RuleAnalyzer(runbooks).analyze(context);
    expect(analysis).toMatchObject({ issue_detected: true, issue_type: 'service_down', recommended_actions: [{ action: 'restart' }, { action: 'escalate' }] });
    expect(analysis.root_cause).toContain('unavailable: runtime (no answer within the evidence budget)');
  });
});
