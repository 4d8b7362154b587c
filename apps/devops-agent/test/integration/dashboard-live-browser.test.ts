import { describeWithComponent } from '@atb/testing';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { alert, eventually, issueToken, notification, RealGateway, startAgent } from '../support/agent-harness.js';
import { type DashboardBrowser, openDashboardBrowser, probeChromium, signIn } from '../support/chromium.js';

describeWithComponent('Chromium', await probeChromium(), 'install it with scripts/install-system-deps.sh (Debian package chromium)', () => {
  let gateway: RealGateway;
  let started: Awaited<ReturnType<typeof startAgent>>;
  let browser: DashboardBrowser;
  let baseUrl: string;

  beforeAll(async () => {
    gateway = new RealGateway({ targets: ['predictor-1'] });
    await gateway.start();
    // Panels refresh only once an hour: whatever changes on the page came through the live stream.
    started = await startAgent({ AI_COMMAND_GATEWAY_URL: gateway.url, MARKET_PREDICTOR_URL: gateway.url, SAFETY_MODE: 'true', DASHBOARD_SIGN_IN_REQUIRED: 'true', DASHBOARD_REFRESH_SECONDS: '3600' });
    baseUrl = await started.agent.listen();
    browser = await openDashboardBrowser('dashboard-live');
  });
  afterAll(async () => {
    await browser?.close();
    await started?.close();
    await gateway?.stop();
  });

  /** Marks the loaded document: the mark survives only while the page is not reloaded. */
  const mark = (page: Page, value: string) => page.evaluate((text) => Object.assign(globalThis, { __mark: text }), value);
  const markOf = (page: Page) => page.evaluate(() => (globalThis as { __mark?: string }).__mark);
  const liveTypes = (page: Page) => page.locator('#live-feed li').evaluateAll((items) => items.map((item) => (item as unknown as { dataset: { type: string } }).dataset.type));

  it('shows an alert stage by stage without a reload, and approving on the incident page runs the action', async () => {
    const operator = await issueToken(started.agent, { name: 'olga', role: 'operator' });
    const { page, problems } = await browser.newPage();
    await signIn(page, baseUrl, operator);
    await expect.poll(() => page.locator('#connection').textContent()).toBe('live');
    await mark(page, 'dashboard');
    expect(await page.locator('#incidents tr[data-incident-id]').count()).toBe(0);

    const firing = alert({ alertname: 'MarketPredictorDown', service: 'market-predictor', container: 'predictor-1', severity: 'critical' });
    await fetch(`${baseUrl}/webhook/alerts`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(notification([firing])) });

    // Stage 1: the incident opens, and its row appears in the list.
    await expect.poll(() => liveTypes(page)).toContain('incident-opened');
    await expect.poll(() => page.locator('#incidents tr[data-incident-id]').count()).toBe(1);
    // Stage 2: analysed, and the restart waits for approval.
    await expect.poll(() => liveTypes(page), { timeout: 15_000 }).toContain('analysis-completed');
    await expect.poll(() => liveTypes(page), { timeout: 15_000 }).toContain('action-proposed');
    const pending = page.locator('#pending-actions tr[data-action-id]');
    await expect.poll(() => pending.count()).toBe(1);
    expect(await pending.textContent()).toContain('restart');
    expect(await markOf(page)).toBe('dashboard');

    // The incident page: approve there; the action runs and is verified, shown live.
    const incidentId = await page.locator('#incidents tr[data-incident-id]').getAttribute('data-incident-id');
    await page.locator(`#incidents a[href="/dashboard/incidents/${incidentId}"]`).click();
    await page.waitForURL(`${baseUrl}/dashboard/incidents/${incidentId}`);
    const row = page.locator('#incident table.actions tr[data-action-id]');
    expect(await row.locator('code.docker').textContent()).toBe('docker restart predictor-1');
    // The evidence the analysis was made on: the health check and the container read through the gateway.
    expect(await page.locator('#incident ul.evidence').textContent()).toMatch(/health \w+/);
    await row.locator('input[name="reason"]').fill('looks right');
    await row.getByRole('button', { name: 'Approve' }).click();
    await page.waitForURL(new RegExp(`/dashboard/incidents/${incidentId}\\?decided=`));
    await mark(page, 'incident');
    await eventually(() => gateway.commandRequests().length === 1, 10_000, 'the restart at the gateway');
    expect(gateway.commandRequests()[0]!.body).toMatchObject({ target_resource: { name: 'predictor-1' }, action_request: { context: { approved_by: 'olga' } } });
    await expect.poll(() => page.locator('#incident ol.timeline').textContent(), { timeout: 15_000 }).toContain('action-verified');
    await expect.poll(() => row.textContent()).toContain('succeeded');
    expect(await page.locator('#incident').textContent()).toContain('olga');
    expect(await markOf(page)).toBe('incident');
    expect(problems).toEqual([]);
    await page.close();
  });
});
