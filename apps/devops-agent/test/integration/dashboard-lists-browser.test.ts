import { describeWithComponent } from '@atb/testing';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import type { Action, Incident } from '../../src/store/agent-store.js';
import { RealGateway, startAgent } from '../support/agent-harness.js';
import { type DashboardBrowser, openDashboardBrowser, probeChromium } from '../support/chromium.js';
import { type Seeded, seedIncidents } from '../support/seed-incidents.js';

const newestFirst = (a: Incident, b: Incident) => b.opened_at.localeCompare(a.opened_at) || b.id.localeCompare(a.id);
const newestActionFirst = (a: Action, b: Action) => b.created_at.localeCompare(a.created_at) || b.id.localeCompare(a.id);

/** Every row id of a list, following "Next page" with the keyboard until the last page. */
async function readEveryPage(page: Page, baseUrl: string, rows: string, attribute: string): Promise<string[]> {
  const seen: string[] = [];
  for (let pages = 0; pages < 20; pages += 1) {
    seen.push(...(await page.locator(rows).evaluateAll((found, name) => found.map((row) => row.getAttribute(name) ?? ''), attribute)));
    if ((await page.locator('#next-page').count()) === 0) return seen;
    const cursor = new URL((await page.locator('#next-page').getAttribute('href'))!, baseUrl).searchParams.get('cursor');
    await page.locator('#next-page').focus();
    await page.keyboard.press('Enter');
    await page.waitForURL((url) => url.searchParams.get('cursor') === cursor);
  }
  throw new Error(`more than 20 pages of ${rows}`);
}
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

  it('filters and pages 1,000 incidents with the keyboard at phone width: every matching row once, in order; the active ones too', async () => {
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
    const seen = await readEveryPage(page, baseUrl, '#incident-list tr[data-incident-id]', 'data-incident-id');
    expect(seen).toEqual(expected.map((incident) => incident.id));
    expect(await page.locator('#last-page').count()).toBe(1);
    // The page fits a phone: nothing wider than the viewport but the scrollable tables.
    expect(await page.evaluate('document.documentElement.scrollWidth')).toBeLessThanOrEqual(390);
    // "Active" lists every state but resolved, escalated and failed: what a fleet tile counts.
    await page.goto(`${baseUrl}/dashboard/incidents`);
    await page.locator('#filter-service').fill('price-feed');
    await page.locator('#filter-active').selectOption('true');
    await page.locator('#filter-service').press('Enter');
    await page.waitForURL(/active=true/);
    const active = seeded.incidents.filter((incident) => incident.service === 'price-feed' && !['resolved', 'escalated', 'failed'].includes(incident.state)).sort(newestFirst);
    expect(active.length).toBeGreaterThan(50);
    expect(await readEveryPage(page, baseUrl, '#incident-list tr[data-incident-id]', 'data-incident-id')).toEqual(active.map((incident) => incident.id));
    expect(await page.evaluate('document.documentElement.scrollWidth')).toBeLessThanOrEqual(390);
    expect(problems).toEqual([]);
    await page.close();
  });

  it('filters and pages the seeded actions by service, status, operation and time proposed, reached from the nav by keyboard', async () => {
    const { page, problems } = await browser.newPage();
    await page.goto(`${baseUrl}/dashboard/incidents`);
    await page.locator('nav.pages a[href="/dashboard/actions"]').focus();
    await page.keyboard.press('Enter');
    await page.waitForURL(`${baseUrl}/dashboard/actions`);
    const allActions = [...seeded.actions].sort(newestActionFirst);
    expect(await page.locator('#action-list tr[data-action-id]').evaluateAll((rows) => rows.map((row) => row.getAttribute('data-action-id')))).toEqual(allActions.slice(0, 50).map((action) => action.id));

    const since = new Date(Date.now() - 12 * 86_400_000).toISOString();
    await page.locator('#filter-status').selectOption('succeeded');
    await page.locator('#filter-operation').fill('restart');
    await page.locator('#filter-since').fill(since);
    await page.locator('#filter-since').press('Enter');
    await page.waitForURL(/operation=restart/);
    const expected = allActions.filter((action) => action.status === 'succeeded' && action.operation === 'restart' && action.created_at >= since);
    expect(expected.length).toBeGreaterThan(50);
    expect(await readEveryPage(page, baseUrl, '#action-list tr[data-action-id]', 'data-action-id')).toEqual(expected.map((action) => action.id));
    expect(await page.locator('#last-page').count()).toBe(1);

    // A service and the upper end of the time range: price-feed's failed reads proposed before a week ago.
    const until = new Date(Date.now() - 7 * 86_400_000).toISOString();
    await page.goto(`${baseUrl}/dashboard/actions?${new URLSearchParams({ service: 'price-feed', status: 'failed', operation: 'stats', until })}`);
    const failed = allActions.filter((action) => action.service === 'price-feed' && action.status === 'failed' && action.operation === 'stats' && action.created_at < until);
    expect(failed.length).toBeGreaterThan(5);
    expect(await readEveryPage(page, baseUrl, '#action-list tr[data-action-id]', 'data-action-id')).toEqual(failed.map((action) => action.id));
    expect(await page.locator('#filter-status').inputValue()).toBe('failed');

    // Bad input names the field.
    const badStatus = await fetch(`${baseUrl}/dashboard/actions?status=sleeping`);
    expect(badStatus.status).toBeGreaterThanOrEqual(400);
    expect(await badStatus.text()).toContain('status');
    const badCursor = await fetch(`${baseUrl}/dashboard/actions?cursor=not-ours`);
    expect(badCursor.status).toBe(422);
    expect(await badCursor.text()).toContain('cursor');
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

    // Per runbook: the seeded restarts of service_down incidents (runbook service-down), every service.
    const byRunbook = await page.locator('#chart-runbook-effectiveness rect').evaluateAll((rects) => rects.map((r) => [r.getAttribute('data-label'), Number(r.getAttribute('data-value'))] as const));
    const runbookOf = new Map(seeded.incidents.map((incident) => [incident.id, incident.analysis?.runbook]));
    const serviceDownRestarts = seeded.actions.filter((a) => runbookOf.get(a.incident_id) === 'service-down' && a.operation === 'restart');
    expect(serviceDownRestarts.length).toBeGreaterThan(10);
    expect(byRunbook.find(([label]) => label === 'service-down · restart')?.[1]).toBeCloseTo(serviceDownRestarts.filter((a) => a.effective).length / serviceDownRestarts.length, 10);
    expect(byRunbook.map(([label]) => label).sort()).toEqual([...new Set(seeded.actions.map((a) => `${runbookOf.get(a.incident_id)} · ${a.operation}`))].sort());

    const alerts = await points('chart-alerts');
    expect(alerts.reduce((sum, [, , y]) => sum + y, 0)).toBe(1000);
    // Each chart has its table for screen readers.
    for (const chart of ['chart-recovery', 'chart-incidents', 'chart-runbook-effectiveness', 'chart-effectiveness', 'chart-alerts']) expect(await page.locator(`#${chart}-table tbody tr`).count()).toBeGreaterThan(0);
    expect(problems).toEqual([]);
    await page.close();
  });
});
