import { stripVTControlCharacters } from 'node:util';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describeWithComponent, probePrometheus, type RunningPrometheus, startPrometheus, waitFor } from '@atb/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AUTHORIZED, alert, eventually, notification, RealGateway, startAgent } from '../support/agent-harness.js';
import { runAtb } from '../support/run-atb.js';

const ERRORING_TARGET = join(dirname(fileURLToPath(import.meta.url)), '../support/erroring-target.mjs');

/** The text of a page with its tags removed and its entities for quotes and brackets read back. */
const textOf = (body: string) =>
  body
    .replace(/<[^>]+>/g, ' ')
    .replaceAll('&quot;', '"')
    .replaceAll('&#39;', "'")
    .replaceAll('&lt;', '<')
    .replaceAll('&gt;', '>')
    .replaceAll('&amp;', '&')
    .replace(/\s+/g, ' ');

/**
 * The incident page and `atb incident` show what the analyzer used, gathered from real parts:
 * Debian's Prometheus (scraping the gateway's `/metrics` under the service's job name) answers
 * the PromQL, the real gateway reads the target process's logs and state, the health probe hits
 * a real endpoint; and the incident's audit records are on the same page.
 */
describeWithComponent('Prometheus', await probePrometheus(), 'install it: bash scripts/install-system-deps.sh', () => {
  let gateway: RealGateway;
  let prometheus: RunningPrometheus;
  let started: Awaited<ReturnType<typeof startAgent>>;
  let incidentId: string;

  beforeAll(async () => {
    gateway = new RealGateway({ targets: ['market-predictor'], processes: { 'market-predictor': { script: ERRORING_TARGET, env: {} } } });
    await gateway.start();
    const scraped = new URL(gateway.url).host;
    prometheus = await startPrometheus({
      configYaml: `global: { scrape_interval: 1s }\nscrape_configs: [{ job_name: market-predictor, static_configs: [{ targets: ['${scraped}'] }] }]\n`,
    });
    await waitFor(async () => (await prometheus.query('up{job="market-predictor"}')).some((sample) => sample.value === 1), { timeoutMs: 30_000, description: 'Prometheus scraping the target' });
    started = await startAgent({ AI_COMMAND_GATEWAY_URL: gateway.url, MARKET_PREDICTOR_URL: gateway.url, PROMETHEUS_URL: prometheus.url, SAFETY_MODE: 'true' });
    const response = await started.agent.app.inject({
      method: 'POST',
      url: '/webhook/alerts',
      payload: notification([alert({ alertname: 'MarketPredictorDown', service: 'market-predictor', severity: 'critical' })]),
    });
    expect(response.statusCode).toBe(200);
    const analysed = await eventually(
      async () => ((await started.agent.app.inject({ url: '/incidents' })).json().incidents as { id: string; analysis: unknown }[]).find((incident) => incident.analysis),
      20_000,
      'an analysed incident',
    );
    incidentId = analysed.id;
  }, 90_000);

  afterAll(async () => {
    await started?.close();
    await prometheus?.close();
    await gateway?.stop();
  });

  describe('what the analyzer used', () => {
    it('is recorded: every PromQL query as sent, with the value Prometheus answered', async () => {
      const detail = (await started.agent.app.inject({ url: `/incidents/${incidentId}` })).json();
      const queries = detail.analysis.evidence.queries as { name: string; query: string; value?: number }[];
      const [upSample] = await prometheus.query('min(up{job=~".*market-predictor.*"})');
      expect(queries).toContainEqual({ name: 'up', query: 'min(up{job=~".*market-predictor.*"})', value: upSample!.value });
      expect(queries.find((query) => query.name === 'memory_bytes')?.value).toBeGreaterThan(1_000_000);
      // The runbook's own query is kept beside the readings.
      expect(queries).toContainEqual(expect.objectContaining({ name: expect.stringMatching(/^runbook /), query: 'count(up{job=~".*market-predictor.*"} == 0)' }));
      expect(detail.analysis.evidence.logs.excerpt).toEqual([
        'ERROR GET /predict status=500 Internal Server Error',
        'ERROR GET /predict status=500 Internal Server Error',
        'TypeError: Cannot read properties of undefined (reading "close")',
      ]);
    });

    it('is on the incident page: health detail, runtime state, queries with values, log lines and the audit trail', async () => {
      const page = await started.agent.app.inject({ url: `/dashboard/incidents/${incidentId}` });
      expect(page.statusCode).toBe(200);
      const body = page.body;
      const text = textOf(body);
      // The health detail: how the probe ended, what the body said, how long it took.
      expect(body).toContain('<h4>Health</h4><dl class="facts evidence-health"><dt>outcome</dt><dd>healthy</dd>');
      expect(text).toMatch(/ Health outcome healthy response time ms [\d.]+ status healthy Runtime /);
      // The runtime state the gateway read.
      expect(body).toMatch(/<h4>Runtime<\/h4><dl class="facts evidence-runtime"><dt>state<\/dt><dd>running<\/dd><dt>running<\/dt><dd>true<\/dd>/);
      // Each query as sent, with its value.
      expect(body).toContain('<table class="queries">');
      expect(text).toMatch(/up min\(up\{job=~"\.\*market-predictor\.\*"\}\) 1 /);
      expect(text).toMatch(/memory_bytes max\(process_resident_memory_bytes\{job=~"\.\*market-predictor\.\*"\}\) \d+ MiB \(\d+\)/);
      expect(text).toContain('count(up{job=~".*market-predictor.*"} == 0)');
      // The log lines as written, and the signatures counted in them.
      expect(body).toContain('<pre class="log-excerpt">ERROR GET /predict status=500 Internal Server Error\nERROR GET');
      expect(text).toContain('TypeError: Cannot read properties of undefined (reading "close")');
      expect(text).toMatch(/2 http-5xx — /);
      // The audit records for this incident.
      const { records } = (await started.agent.app.inject({ url: `/audit?subject=${incidentId}`, headers: AUTHORIZED })).json() as { records: { seq: number; action: string }[] };
      expect(records.map((record) => record.action)).toEqual(expect.arrayContaining(['analysis-completed', 'action-decided']));
      const trail = body.slice(body.indexOf('<table class="audit-trail">'));
      for (const record of records) expect(trail).toContain(`<tr><td class="number">${record.seq}</td>`);
      for (const record of records) expect(trail).toContain(`<td>${record.action}</td>`);
    });

    it('is printed by atb incident: each query with its value, then the log lines', async () => {
      process.env.DEVOPS_AGENT_URL = await started.agent.listen();
      const shown = await runAtb('incident', incidentId);
      expect(shown.exitCode ?? 0).toBe(0);
      // Colours are on when CI is set: the text is read without them.
      const text = stripVTControlCharacters(shown.stdout);
      expect(text).toMatch(/ {4}up = 1 {2}min\(up\{job=~"\.\*market-predictor\.\*"\}\)\n/);
      expect(text).toMatch(/log lines \(3 of \d+ read\):\n {4}ERROR GET \/predict status=500 Internal Server Error\n/);
    });
  });
});
