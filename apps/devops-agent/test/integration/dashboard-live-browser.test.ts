import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeWithComponent } from '@atb/testing';
import { type BrowserContext, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { alert, eventually, issueToken, notification, RealGateway, startAgent } from '../support/agent-harness.js';
import { LAUNCH, probeChromium } from '../support/chromium.js';

describeWithComponent('Chromium', await probeChromium(), 'install it with scripts/install-system-deps.sh (Debian package chromium)', () => {
  let gateway: RealGateway;
  let started: Awaited<ReturnType<typeof startAgent>>;
  let context: BrowserContext;
  let userDataDir: string;
  let baseUrl: string;

  beforeAll(async () => {
    gateway = new RealGateway({ targets: ['predictor-1'] });
    await gateway.start();
    // Panels refresh only once an hour: whatever changes on the page came through the live stream.
    started = await startAgent({ AI_COMMAND_GATEWAY_URL: gateway.url, MARKET_PREDICTOR_URL: gateway.url, SAFETY_MODE: 'true', DASHBOARD_SIGN_IN_REQUIRED: 'true', DASHBOARD_REFRESH_SECONDS: '3600' });
    baseUrl = await started.agent.listen();
    userDataDir = mkdtempSync(join(tmpdir(), 'dashboard-live-'));
    context = await chromium.launchPersistentContext(userDataDir, { ...LAUNCH, viewport: { width: 1280, height: 1000 } });
  });
  afterAll(async () => {
    await context?.close();
    await started?.close();
    await gateway?.stop();
    if (userDataDir) rmSync(userDataDir, { recursive: true, force: true });
  });

  /** Marks the loaded document: the mark survives only while the page is not reloaded. */
  const mark = (page: Page, value: string) => page.evaluate((text) => Object.assign(globalThis, { __mark: text }), value);
  const markOf = (page: Page) => page.evaluate(() => (globalThis as { __mark?: string }).__mark);
  const liveTypes = (page: Page) => page.locator('#live-feed li').evaluateAll((items) => items.map((item) => (item as unknown as { dataset: { type: string } }).dataset.type));

  it('shows an alert stage by stage without a reload, and approving on the incident page runs the action', async () => {
    const operator = await issueToken(started.agent, { name: 'olga', role: 'operator' });
    const page = await context.newPage();
    const problems: string[] = [];
    page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
    page.on('console', (message) => {
      if (/Content Security Policy/i.test(message.text())) problems.push(`console: ${message.text()}`);
    });
    await page.goto(`${baseUrl}/dashboard/sign-in`);
    await page.locator('#token').fill(operator);
    await page.locator('#sign-in-button').click();
    await page.waitForURL(`${baseUrl}/dashboard`);
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
