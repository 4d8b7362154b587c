import { existsSync, writeFileSync } from 'node:fs';
import { describeWithComponent } from '@atb/testing';
import { type Browser, chromium, type LaunchOptions } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { AGENT_TOKEN, alert, eventually, notification, RealGateway, startAgent } from '../support/agent-harness.js';

/** Debian's Chromium, never a downloaded browser. */
const CHROMIUM = '/usr/bin/chromium';
const LAUNCH: LaunchOptions = {
  executablePath: CHROMIUM,
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'],
  timeout: 30_000,
};

async function probeChromium(): Promise<string | undefined> {
  if (!existsSync(CHROMIUM)) return `${CHROMIUM} not found`;
  try {
    const browser = await chromium.launch(LAUNCH);
    await browser.close();
    return undefined;
  } catch (error) {
    return `${CHROMIUM} did not launch: ${String(error).split('\n')[0]}`;
  }
}

const HOSTILE_SCRIPT = '<script>window.__xss = "script"</script>';
const HOSTILE_IMG = '"><img src=x onerror="window.__xss = \'img\'">';

describeWithComponent('Chromium', await probeChromium(), 'install it with scripts/install-system-deps.sh (Debian package chromium)', () => {
  let gateway: RealGateway;
  let started: Awaited<ReturnType<typeof startAgent>>;
  let browser: Browser;
  let baseUrl: string;

  beforeAll(async () => {
    gateway = new RealGateway({ targets: ['predictor-1'] });
    await gateway.start();
    started = await startAgent({ AI_COMMAND_GATEWAY_URL: gateway.url, MARKET_PREDICTOR_URL: gateway.url, SAFETY_MODE: 'true' });
    baseUrl = await started.agent.listen();
    browser = await chromium.launch(LAUNCH);
  });
  afterAll(async () => {
    await browser?.close();
    await started?.close();
    await gateway?.stop();
  });

  it('shows the incident and its pending action; Approve runs it through the agent and the gateway receives the restart', async () => {
    const firing = alert(
      { alertname: 'MarketPredictorDown', service: 'market-predictor', container: 'predictor-1', severity: 'critical' },
      { annotations: { summary: HOSTILE_SCRIPT, description: HOSTILE_IMG } },
    );
    const delivered = await fetch(`${baseUrl}/webhook/alerts`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(notification([firing])) });
    expect(delivered.status).toBe(200);
    const action = await eventually(
      async () => ((await (await fetch(`${baseUrl}/actions?status=pending`)).json()) as { actions: { id: string; incident_id: string }[] }).actions[0],
      10_000,
      'a pending action',
    );

    const context = await browser.newContext({ viewport: { width: 1280, height: 1000 } });
    const page = await context.newPage();
    const problems: string[] = [];
    page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
    page.on('console', (message) => {
      if (message.type() === 'error' || /Content Security Policy/i.test(message.text())) problems.push(`console: ${message.text()}`);
    });
    const requests: string[] = [];
    page.on('request', (request) => requests.push(request.url()));
    page.on('response', (answer) => {
      if (answer.status() >= 400) problems.push(`${answer.status()} ${answer.url()}`);
    });

    const response = await page.goto(`${baseUrl}/dashboard`);
    expect(response?.status()).toBe(200);
    expect(response?.headers()['content-security-policy']).toContain("script-src 'self'");
    await expect.poll(() => page.locator('#incidents').textContent()).toContain('MarketPredictorDown');
    await expect.poll(() => page.locator('#overview #safety-mode').textContent()).toContain('on');
    const row = page.locator(`#pending-actions tr[data-action-id="${action.id}"]`);
    await expect.poll(() => row.textContent()).toContain('restart');
    expect(await row.textContent()).toContain('predictor-1');

    // The auto-refresh swaps panels in (the "updated" stamp comes from the script).
    await expect.poll(() => page.locator('#connection').textContent(), { timeout: 10_000 }).toMatch(/^updated /);

    const keep = process.env.DASHBOARD_SCREENSHOT; // set it to look at the pages once
    if (keep) writeFileSync(keep.replace(/\.png$/, '-main.png'), await page.screenshot({ fullPage: true }));

    // Approve without a name: refused in the page, nothing sent.
    await row.getByRole('button', { name: 'Approve' }).click();
    await expect.poll(() => row.locator('output').textContent()).toContain('Enter your name');
    expect(gateway.commandRequests()).toHaveLength(0);

    await page.locator('#actor').fill('browser-bob');
    // Reject needs a reason: refused in the page, nothing sent.
    await row.getByRole('button', { name: 'Reject' }).click();
    await expect.poll(() => row.locator('output').textContent()).toContain('reason is required');
    expect(((await (await fetch(`${baseUrl}/actions/${action.id}`)).json()) as { status: string }).status).toBe('pending');

    // Approve without the API token: refused in the page, nothing sent.
    await row.getByRole('button', { name: 'Approve' }).click();
    await expect.poll(() => row.locator('output').textContent()).toContain('Enter the API token');
    expect(requests.filter((url) => url.includes('/approve'))).toEqual([]);

    // A wrong token: the agent answers 401, the page says so, the action stays pending.
    await page.locator('#api-token').fill(`${AGENT_TOKEN.slice(0, -1)}x`);
    await row.getByRole('button', { name: 'Approve' }).click();
    await expect.poll(() => page.locator('#flash').textContent()).toContain('401: the agent refused the API token');
    expect(((await (await fetch(`${baseUrl}/actions/${action.id}`)).json()) as { status: string }).status).toBe('pending');
    expect(gateway.commandRequests()).toHaveLength(0);
    // The browser reports the refused request (the 401 response and its console line); nothing else.
    expect(problems.every((problem) => problem.includes('401'))).toBe(true);
    problems.length = 0;
    requests.length = 0;

    // The token is kept for the tab (sessionStorage), never in a cookie or the URL.
    await page.locator('#api-token').fill(AGENT_TOKEN);
    expect(await page.evaluate("sessionStorage.getItem('atb-dashboard-token')")).toBe(AGENT_TOKEN);
    expect(await context.cookies()).toEqual([]);
    await row.getByRole('button', { name: 'Approve' }).click();
    await expect.poll(() => page.locator('#flash').textContent(), { timeout: 10_000 }).toContain('Approved restart predictor-1 as browser-bob');
    await expect.poll(() => page.locator('#pending-actions').textContent(), { timeout: 10_000 }).toContain('Nothing waits for approval.');
    await eventually(() => gateway.commandRequests().length === 1, 10_000, 'the restart request at the gateway');
    expect(gateway.commandRequests()[0]!.body).toMatchObject({
      target_resource: { name: 'predictor-1' },
      action_request: { intent: 'restart the predictor-1 container', context: { approved_by: 'browser-bob' } },
    });
    expect(requests.filter((url) => url.includes('/approve'))).toEqual([`${baseUrl}/actions/${action.id}/approve`]);
    const audit = (await (await fetch(`${baseUrl}/audit?action=action-approved`)).json()) as { records: { actor: string; data: { action_id: string } }[] };
    expect(audit.records).toEqual([expect.objectContaining({ actor: 'browser-bob', data: expect.objectContaining({ action_id: action.id }) })]);

    // The incident page: analysis, actions with their outcome, hostile annotations shown as text.
    await page.locator(`#incidents a[href="/dashboard/incidents/${action.incident_id}"]`).click();
    await page.waitForURL(`${baseUrl}/dashboard/incidents/${action.incident_id}`);
    const incident = page.locator('#incident');
    await expect.poll(() => incident.textContent()).toContain('Confidence');
    expect(await incident.textContent()).toContain('browser-bob');
    expect(await incident.textContent()).toContain(HOSTILE_SCRIPT);
    expect(await incident.textContent()).toContain(HOSTILE_IMG);
    expect(await page.locator('#incident img').count()).toBe(0);
    expect(await page.evaluate(() => (globalThis as { __xss?: string }).__xss)).toBeUndefined();
    expect(await page.locator('#actor').inputValue()).toBe('browser-bob'); // remembered across pages

    // Everything the page loaded came from the agent itself (no CDN; works offline).
    expect(requests.every((url) => url.startsWith(baseUrl))).toBe(true);
    const screenshot = await page.screenshot({ fullPage: true });
    expect(screenshot.subarray(1, 4).toString('latin1')).toBe('PNG');
    if (keep) writeFileSync(keep, screenshot);
    expect(problems).toEqual([]);
    await context.close();
  });
});
