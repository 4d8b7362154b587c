import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Incident } from '../src/store/agent-store.js';
import { AGENT_TOKEN, RealGateway, startAgent } from './support/agent-harness.js';
import { runAtb } from './support/run-atb.js';
import { type Seeded, seedIncidents } from './support/seed-incidents.js';

const newestFirst = (a: { created_at?: string; opened_at?: string; id: string }, b: { created_at?: string; opened_at?: string; id: string }) =>
  (b.opened_at ?? b.created_at ?? '').localeCompare(a.opened_at ?? a.created_at ?? '') || b.id.localeCompare(a.id);

describe('atb incidents / atb actions: filters and cursor paging', () => {
  let started: Awaited<ReturnType<typeof startAgent>>;
  let gateway: RealGateway;
  let seeded: Seeded;
  const previous = { url: process.env.DEVOPS_AGENT_URL, token: process.env.DEVOPS_AGENT_TOKEN };

  beforeAll(async () => {
    gateway = new RealGateway({ targets: ['market-predictor'] });
    await gateway.start();
    started = await startAgent({ AI_COMMAND_GATEWAY_URL: gateway.url });
    seeded = await seedIncidents(started.agent.agent.store, 200, { days: 7 });
    process.env.DEVOPS_AGENT_URL = await started.agent.listen();
    process.env.DEVOPS_AGENT_TOKEN = AGENT_TOKEN;
  });
  afterAll(async () => {
    for (const [key, value] of [['DEVOPS_AGENT_URL', previous.url], ['DEVOPS_AGENT_TOKEN', previous.token]] as const) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
    await started?.close();
    await gateway?.stop();
    process.exitCode = undefined;
  });

  it('pages incidents of one service, type and time range with --cursor: every row once, newest first', async () => {
    const since = new Date(Date.now() - 5 * 86_400_000).toISOString();
    const expected = seeded.incidents.filter((incident: Incident) => incident.service === 'order-router' && incident.alertname === 'ServiceDegraded' && incident.opened_at >= since).sort(newestFirst);
    expect(expected.length).toBeGreaterThan(10);
    const seen: string[] = [];
    let cursor: string | undefined;
    for (let page = 0; page < 20; page += 1) {
      const listed = await runAtb('incidents', '--service', 'order-router', '--type', 'ServiceDegraded', '--since', since, '--limit', '10', ...(cursor ? ['--cursor', cursor] : []));
      expect(listed.exitCode).toBe(0);
      seen.push(...[...listed.stdout.matchAll(/^(inc_seed_\d+)/gm)].map((match) => match[1]!));
      cursor = /more: --cursor (\S+)/.exec(listed.stdout)?.[1];
      if (!cursor) break;
    }
    expect(seen).toEqual(expected.map((incident) => incident.id));
  });

  it('lists only the active incidents of a service with --active: the ones its fleet tile counts', async () => {
    const listed = JSON.parse((await runAtb('incidents', '--service', 'order-router', '--active', '--limit', '500', '--json')).stdout) as { id: string }[];
    const expected = seeded.incidents.filter((incident: Incident) => incident.service === 'order-router' && !['resolved', 'escalated', 'failed'].includes(incident.state)).sort(newestFirst);
    expect(expected.length).toBeGreaterThan(5);
    expect(expected.length).toBeLessThan(seeded.incidents.filter((incident: Incident) => incident.service === 'order-router').length);
    expect(listed.map((incident) => incident.id)).toEqual(expected.map((incident) => incident.id));
  });

  it('filters actions by service, type and time range', async () => {
    const until = new Date(Date.now() - 2 * 86_400_000).toISOString();
    const listed = JSON.parse((await runAtb('actions', '--service', 'risk-engine', '--type', 'restart', '--until', until, '--limit', '1000', '--json')).stdout) as { id: string }[];
    const expected = seeded.actions.filter((action) => action.service === 'risk-engine' && action.operation === 'restart' && action.created_at < until).sort(newestFirst);
    expect(expected.length).toBeGreaterThan(3);
    expect(listed.map((action) => action.id)).toEqual(expected.map((action) => action.id));
    const invalid = await runAtb('incidents', '--since', 'yesterday');
    expect(invalid.exitCode).toBe(1);
    expect(invalid.stderr).toContain('since');
  });

  it("filters incidents by the analysis' issue type, apart from the alert name: atb incidents, GET /incidents and the dashboard agree", async () => {
    const ofType = (type: string) =>
      seeded.incidents.filter((incident: Incident) => incident.service === 'market-predictor' && incident.analysis!.analysis.issue_type === type).sort(newestFirst).map((incident) => incident.id);
    const expected = ofType('memory_pressure');
    expect(expected.length).toBeGreaterThan(3);
    const cli = JSON.parse((await runAtb('incidents', '--service', 'market-predictor', '--issue-type', 'memory_pressure', '--limit', '500', '--json')).stdout) as { id: string }[];
    expect(cli.map((incident) => incident.id)).toEqual(expected);
    const api = (await started.agent.app.inject({ url: '/incidents?service=market-predictor&issue_type=memory_pressure&limit=500' })).json().incidents as { id: string }[];
    expect(api.map((incident) => incident.id)).toEqual(expected);
    // The alert name is another filter: ServiceDegraded covers three issue types.
    const degraded = JSON.parse((await runAtb('incidents', '--service', 'market-predictor', '--alertname', 'ServiceDegraded', '--limit', '500', '--json')).stdout) as { id: string }[];
    expect(degraded.map((incident) => incident.id).sort()).toEqual([...ofType('memory_pressure'), ...ofType('high_latency'), ...ofType('error_rate')].sort());
    expect(JSON.parse((await runAtb('incidents', '--service', 'market-predictor', '--type', 'ServiceDegraded', '--limit', '500', '--json')).stdout)).toEqual(degraded);

    const page = (await started.agent.app.inject({ url: '/dashboard/incidents?service=market-predictor&issue_type=memory_pressure' })).body;
    expect(page).toContain('<label>Issue type (analysis) <input name="issue_type" id="filter-issue_type" type="text" value="memory_pressure"></label>');
    expect(page).toContain('<label>Alert name <input name="alertname" id="filter-alertname" type="text" value=""></label>');
    expect([...page.matchAll(/<tr data-incident-id="([^"]+)">/g)].map((match) => match[1])).toEqual(expected.slice(0, 50));
    // Each row names its issue type, linking the incidents of that type.
    expect(page.split('<td><a href="/dashboard/incidents?issue_type=memory_pressure">memory_pressure</a></td>')).toHaveLength(Math.min(50, expected.length) + 1);
  });
});
