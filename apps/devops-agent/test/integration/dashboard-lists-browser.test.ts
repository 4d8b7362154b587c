import { describeWithComponent } from '@atb/testing';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Incident } from '../../src/store/agent-store.js';
import { RealGateway, startAgent } from '../support/agent-harness.js';
import { type DashboardBrowser, openDashboardBrowser, probeChromium } from '../support/chromium.js';
import { type Seeded, seedIncidents } from '../support/seed-incidents.js';

const newestFirst = (a: Incident, b: Incident) => b.opened_at.localeCompare(a.opened_at) || b.id.localeCompare(a.id);
/** Nearest-rank percentile, computed here independently of the dashboard. */
const rank = (values: number[], q: number) => [...values].sort((a, b) => a - b)[Math.max(1, Math.ceil(q * values.length)) - 1];

describeWithComponent('Chromium', await probeChromium(), 'install it with scripts/install-system-deps.sh (Debian package chromium)', () => {
  let gateway: RealGateway;
  let started: Awaited<ReturnType<typeof startAgent>>;
  let browser: DashboardBrowser;
  let baseUrl: string;
  let seeded: Seeded;

  beforeAll(async () => {
    gateway = new RealGateway({ targets: ['predictor-1'] });
    await gateway.start();
    started = await startAgent({ AI_COMMAND_GATEWAY_URL: gateway.url, MARKET_PREDICTOR_URL: gateway.url, SAFETY_MODE: 'true' });
    seeded = await seedIncidents(started.agent.agent.store, 1000, { days: 14 });
    baseUrl = await started.agent.listen();
    browser = await openDashboardBrowser('dashboard-lists', { width: 390, height: 900 });
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await started?.close();
    await gateway?.stop();
  });

  it('filters and pages 1,000 incidents with the keyboard at phone width: every matching row once, in order', async () => {
    const { page, problems } = await browser.newPage();
    await page.goto(`${baseUrl}/dashboard/incidents`);
    const since = new Date(Date.now() - 12 * 86_400_000).toISOString();
    await page.locator('#filter-service').fill('price-feed');
    await page.locator('#filter-state').selectOption('resolved');
    await page.locator('#filter-since').fill(since);
    await page.locator('#filter-since').press('Enter');
    await page.waitForURL(/service=price-feed/);
    const expected = seeded.incidents.filter((incident) => incident.service === 'price-feed' && incident.state === 'resolved' && incident.opened_at >= since).sort(newestFirst);
    expect(expected.length).toBeGreaterThan(50);
    const seen: string[] = [];
    for (let pages = 0; pages < 20; pages += 1) {
      seen.push(...(await page.locator('#incident-list tr[data-incident-id]').evaluateAll((rows) => rows.map((row) => row.getAttribute('data-incident-id') ?? ''))));
      if ((await page.locator('#next-page').count()) === 0) break;
      const cursor = new URL((await page.locator('#next-page').getAttribute('href'))!, baseUrl).searchParams.get('cursor');
      await page.locator('#next-page').focus();
      await page.keyboard.press('Enter');
      await page.waitForURL((url) => url.searchParams.get('cursor') === cursor);
    }
    expect(seen).toEqual(expected.map((incident) => incident.id));
    expect(await page.locator('#last-page').count()).toBe(1);
    // The page fits a phone: nothing wider than the viewport but the scrollable tables.
    expect(await page.evaluate('document.documentElement.scrollWidth')).toBeLessThanOrEqual(390);
    expect(problems).toEqual([]);
    await page.close();
  });

  it('draws the seeded data: recovery median and p90 per day, incidents per type per day, effectiveness, alert volume', async () => {
    const { page, problems } = await browser.newPage();
    await page.goto(`${baseUrl}/dashboard/charts`);
    const points = (chart: string) =>
      page.locator(`#${chart} circle`).evaluateAll((circles) => circles.map((c) => [c.getAttribute('data-series'), c.getAttribute('data-x'), Number(c.getAttribute('data-y'))] as const));

    const recoveries = new Map<string, number[]>();
    for (const action of seeded.actions.filter((a) => a.recovery_seconds !== null && a.service === 'risk-engine')) {
      const key = action.verified_at!.slice(0, 10);
      recoveries.set(key, [...(recoveries.get(key) ?? []), action.recovery_seconds!]);
    }
    const drawn = await points('chart-recovery');
    const median = drawn.filter(([series]) => series === 'risk-engine median');
    const p90 = drawn.filter(([series]) => series === 'risk-engine p90');
    expect(median.map(([, x]) => x)).toEqual([...recoveries.keys()].sort());
    for (const [, x, y] of median) expect(y).toBe(rank(recoveries.get(x!)!, 0.5));
    for (const [, x, y] of p90) expect(y).toBe(rank(recoveries.get(x!)!, 0.9));

    const byType = await points('chart-incidents');
    const total = byType.reduce((sum, [, , y]) => sum + y, 0);
    expect(total).toBe(1000);
    const day = seeded.incidents[0]!.opened_at.slice(0, 10);
    const highLatency = seeded.incidents.filter((incident) => incident.opened_at.startsWith(day) && incident.analysis?.analysis.issue_type === 'high_latency').length;
    expect(byType.find(([series, x]) => series === 'high_latency' && x === day)?.[2]).toBe(highLatency);

    const bars = await page.locator('#chart-effectiveness rect').evaluateAll((rects) => rects.map((r) => [r.getAttribute('data-label'), Number(r.getAttribute('data-value'))] as const));
    const restarts = seeded.actions.filter((a) => a.alertname === 'ServiceDegraded' && a.service === 'market-predictor' && a.operation === 'restart');
    expect(restarts.length).toBeGreaterThan(10);
    expect(bars.find(([label]) => label === 'ServiceDegraded · market-predictor · restart')?.[1]).toBeCloseTo(restarts.filter((a) => a.effective).length / restarts.length, 10);

    const alerts = await points('chart-alerts');
    expect(alerts.reduce((sum, [, , y]) => sum + y, 0)).toBe(1000);
    // Each chart has its table for screen readers.
    for (const chart of ['chart-recovery', 'chart-incidents', 'chart-effectiveness', 'chart-alerts']) expect(await page.locator(`#${chart}-table tbody tr`).count()).toBeGreaterThan(0);
    expect(problems).toEqual([]);
    await page.close();
  });
});
