import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fleetTiles, renderFleet } from '../src/dashboard/fleet-view.js';
import { AUTHORIZED, RealGateway, startAgent } from './support/agent-harness.js';
import { seedIncidents } from './support/seed-incidents.js';

describe('fleet tiles', () => {
  let started: Awaited<ReturnType<typeof startAgent>>;
  let gateway: RealGateway;
  beforeEach(async () => {
    gateway = new RealGateway({ targets: ['predictor-1'] });
    await gateway.start();
    started = await startAgent({ AI_COMMAND_GATEWAY_URL: gateway.url, MARKET_PREDICTOR_URL: gateway.url, SAFETY_MODE: 'true' });
  });
  afterEach(async () => {
    await started?.close();
    await gateway?.stop();
  });

  it('one tile per service with open incidents (counted, however many), last action, circuit and lag, most urgent first', async () => {
    const store = started.agent.agent.store;
    const seeded = await seedIncidents(store, 1000);
    const services = [{ name: 'quiet-service' }, { name: 'order-router' }, { name: 'risk-engine', container: 'risk-1' }, { name: 'market-predictor' }];
    const now = Date.now();
    const monitor = [{ name: 'market-predictor', interval_seconds: 5, last_check: { checked_at: new Date(now - 65_000).toISOString(), reachable: false, status: null } }];
    const tiles = await fleetTiles(store, services, ['risk-1'], monitor, now);
    // risk-engine: circuit open; market-predictor: down; order-router: open incidents; quiet-service: nothing.
    expect(tiles.map((tile) => tile.service)).toEqual(['risk-engine', 'market-predictor', 'order-router', 'quiet-service']);
    const active = (service: string) => seeded.incidents.filter((incident) => incident.service === service && ['open', 'investigating', 'awaiting_approval', 'remediating', 'verifying'].includes(incident.state)).length;
    const critical = (service: string) => seeded.incidents.filter((incident) => incident.service === service && incident.severity === 'critical' && ['open', 'investigating', 'awaiting_approval', 'remediating', 'verifying'].includes(incident.state)).length;
    expect(active('order-router')).toBeGreaterThan(50);
    expect(tiles.find((tile) => tile.service === 'order-router')).toMatchObject({ open: active('order-router'), critical: critical('order-router') });
    expect(critical('order-router')).toBeGreaterThan(0);
    const newest = seeded.actions.filter((action) => action.service === 'risk-engine').sort((a, b) => b.created_at.localeCompare(a.created_at) || b.id.localeCompare(a.id))[0];
    expect(tiles[0]!.last_action?.id).toBe(newest!.id);
    expect(tiles[1]).toMatchObject({ health: 'down', monitoring_lag_s: 60 });
    expect(tiles[3]).toMatchObject({ health: 'unknown', open: 0, critical: 0, monitoring_lag_s: null, circuit_open: false });
    // Each polled service's own reading: one healthy and on time, one overdue.
    const fleet = await fleetTiles(store, services, [], [
      { name: 'quiet-service', interval_seconds: 10, last_check: { checked_at: new Date(now - 2_000).toISOString(), reachable: true, status: 'healthy' } },
      { name: 'order-router', interval_seconds: 10, last_check: { checked_at: new Date(now - 40_000).toISOString(), reachable: true, status: 'degraded' } },
    ], now);
    expect(fleet.find((tile) => tile.service === 'quiet-service')).toMatchObject({ health: 'healthy', monitoring_lag_s: 0 });
    expect(fleet.find((tile) => tile.service === 'order-router')).toMatchObject({ health: 'degraded', monitoring_lag_s: 30 });
    expect(fleet.find((tile) => tile.service === 'market-predictor')).toMatchObject({ monitoring_lag_s: null });
    const rendered = renderFleet(tiles, now).value;
    expect(rendered).toContain(`<a href="/dashboard/incidents?service=order-router&amp;active=true">${active('order-router')}</a>`);
    // The link lists exactly the incidents the tile counts, page by page; `active=false` the ended ones; anything else is refused.
    const listed = async (url: string): Promise<string[]> => {
      const ids: string[] = [];
      for (let next: string | undefined = url; next; ) {
        const body: string = (await started.agent.app.inject({ url: next })).body;
        ids.push(...[...body.matchAll(/<tr data-incident-id="([^"]+)">/g)].map((match) => match[1]!));
        next = /<a href="([^"]+)" id="next-page"/.exec(body)?.[1]?.replaceAll('&amp;', '&');
      }
      return ids;
    };
    const ofRouter = seeded.incidents.filter((incident) => incident.service === 'order-router');
    const ended = ofRouter.filter((incident) => ['resolved', 'escalated', 'failed'].includes(incident.state));
    expect(ended.length).toBeGreaterThan(0);
    expect((await listed('/dashboard/incidents?service=order-router&active=true')).sort()).toEqual(ofRouter.filter((incident) => !ended.includes(incident)).map((incident) => incident.id).sort());
    expect((await listed('/dashboard/incidents?service=order-router&active=false')).sort()).toEqual(ended.map((incident) => incident.id).sort());
    const activePage = (await started.agent.app.inject({ url: '/dashboard/incidents?service=order-router&active=true' })).body;
    expect(activePage).toContain('<option value="true" selected>active (not resolved, escalated or failed)</option>');
    expect(activePage).toMatch(/<a href="[^"]*active=true[^"]*" id="next-page"/);
    const refused = await started.agent.app.inject({ url: '/dashboard/incidents?active=open' });
    expect(refused.statusCode).toBe(422);
    expect(refused.body).toContain('active');
    expect(rendered.indexOf('data-service="risk-engine"')).toBeLessThan(rendered.indexOf('data-service="quiet-service"'));
    // The default one-entry catalog gives the page its fleet panel.
    const page = await started.agent.app.inject({ url: '/dashboard' });
    expect(page.body).toContain('<section id="fleet"');
    expect(page.body).toContain('data-service="market-predictor"');
    // The incidents panel shows the newest 50 and says how many there are in all.
    expect(page.body).toContain('newest 50 of <a href="/dashboard/incidents" id="incident-total">1000</a>');
  });

  it('with a catalog of several services, the overview and /status say how many are polled instead of one URL', async () => {
    const directory = mkdtempSync(join(tmpdir(), 'fleet-overview-'));
    const servicesFile = join(directory, 'services.yaml');
    writeFileSync(
      servicesFile,
      `services:
  - { name: market-predictor, health: { url: "${gateway.url}", interval_seconds: 7 } }
  - { name: order-router, health: { url: "${gateway.url}/order-router", interval_seconds: 20 } }
  - { name: risk-engine }
`,
    );
    const fleet = await startAgent({ AI_COMMAND_GATEWAY_URL: gateway.url, SERVICES_FILE: servicesFile, MONITORING_INTERVAL: '30' });
    try {
      const status = (await fleet.agent.app.inject({ url: '/status', headers: AUTHORIZED })).json();
      expect(status.monitoring).toMatchObject({ target_url: gateway.url, interval_seconds: 7 });
      expect([...status.monitoring.services].sort()).toEqual(['market-predictor', 'order-router']); // risk-engine has no health URL: not polled
      const page = (await fleet.agent.app.inject({ url: '/dashboard' })).body;
      const monitoring = /<dd id="monitoring">([\s\S]*?)<\/dd>/.exec(page)?.[1] ?? '';
      expect(monitoring).toContain('2 services, each on its own interval');
      expect(monitoring).not.toContain('every 30s');
    } finally {
      await fleet.close();
    }
  });
});
