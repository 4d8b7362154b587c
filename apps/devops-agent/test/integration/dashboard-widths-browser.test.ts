import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describeWithComponent, probePrometheus, type RunningPrometheus, startPrometheus, waitFor } from '@atb/testing';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { alert, eventually, notification, RealGateway, startAgent } from '../support/agent-harness.js';
import { openDashboardBrowser, probeChromium } from '../support/chromium.js';
import { seedIncidents } from '../support/seed-incidents.js';

const ERRORING_TARGET = join(dirname(fileURLToPath(import.meta.url)), '../support/erroring-target.mjs');
/** A log line with no place to break: a stack frame with a long path, as services really print. */
const UNBROKEN_LINE = `ERROR at /srv/app/node_modules/${'very-deeply-nested-package/'.repeat(8)}index.js:120:7`;
const SERVICES = ['market-predictor', 'order-router', 'risk-engine', 'price-feed', 'settlement-reconciliation-worker-eu-west'];
const WIDTHS = [375, 1280];

/**
 * What sticks out past the viewport's right edge (tag, id or class, and its right edge), the
 * widest first: the failure message names the culprit.
 */
async function overflowing(page: Page): Promise<{ scrollWidth: number; clientWidth: number; culprits: string[] }> {
  // Run in the page (a string: this project's type-check has no DOM library).
  return page.evaluate(`(() => {
    const root = document.documentElement;
    const culprits = [...document.body.querySelectorAll('*')]
      .map((element) => ({ element, right: element.getBoundingClientRect().right }))
      .filter(({ right }) => right > root.clientWidth + 0.5)
      .sort((left, right) => right.right - left.right)
      .slice(0, 5)
      .map(({ element, right }) => element.tagName.toLowerCase() + (element.id ? '#' + element.id : '') + (typeof element.className === 'string' && element.className ? '.' + element.className.split(' ').join('.') : '') + ' right=' + Math.round(right));
    return { scrollWidth: root.scrollWidth, clientWidth: root.clientWidth, culprits };
  })()`);
}

/**
 * The overview with its fleet tiles, an incident page with its full evidence (long PromQL,
 * an unbroken log line), and the charts, each at a phone's 375 px and a laptop's 1280 px in
 * Debian's Chromium: nothing is wider than the viewport (no sideways scrolling of the page).
 */
describeWithComponent('Chromium and Prometheus', (await probeChromium()) ?? (await probePrometheus()), 'install them with scripts/install-system-deps.sh', () => {
  let gateway: RealGateway;
  let prometheus: RunningPrometheus;
  let started: Awaited<ReturnType<typeof startAgent>>;
  let baseUrl: string;
  let incidentId: string;
  let directory: string;

  beforeAll(async () => {
    gateway = new RealGateway({
      targets: ['market-predictor'],
      processes: { 'market-predictor': { script: ERRORING_TARGET, env: { EXTRA_LOG_LINE: UNBROKEN_LINE } } },
    });
    await gateway.start();
    prometheus = await startPrometheus({
      configYaml: `global: { scrape_interval: 1s }\nscrape_configs: [{ job_name: market-predictor, static_configs: [{ targets: ['${new URL(gateway.url).host}'] }] }]\n`,
    });
    await waitFor(async () => (await prometheus.query('up{job="market-predictor"}')).length > 0, { timeoutMs: 30_000, description: 'Prometheus scraping the target' });
    directory = mkdtempSync(join(tmpdir(), 'dashboard-widths-'));
    const servicesFile = join(directory, 'services.yaml');
    writeFileSync(servicesFile, `services:\n${SERVICES.map((name) => `  - { name: ${name}, owners: [platform], health: { url: "${gateway.url}", interval_seconds: 30 } }`).join('\n')}\n`);
    started = await startAgent({ AI_COMMAND_GATEWAY_URL: gateway.url, SERVICES_FILE: servicesFile, PROMETHEUS_URL: prometheus.url, SAFETY_MODE: 'true' });
    await seedIncidents(started.agent.agent.store, 300, { days: 14 });
    baseUrl = await started.agent.listen();
    const delivered = await fetch(`${baseUrl}/webhook/alerts`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(notification([alert({ alertname: 'MarketPredictorDown', service: 'market-predictor', severity: 'critical' })])),
    });
    expect(delivered.status).toBe(200);
    const pending = await eventually(
      async () => ((await (await fetch(`${baseUrl}/actions?status=pending&service=market-predictor`)).json()) as { actions: { incident_id: string }[] }).actions[0],
      20_000,
      'a pending action',
    );
    incidentId = pending.incident_id;
  }, 120_000);
  afterAll(async () => {
    await started?.close();
    await prometheus?.close();
    await gateway?.stop();
    if (directory) rmSync(directory, { recursive: true, force: true });
  });

  for (const width of WIDTHS) {
    describe(`at ${width} px`, () => {
      it('the overview, an incident page and the charts fit the width', async () => {
        const browser = await openDashboardBrowser(`dashboard-widths-${width}`, { width, height: 900 });
        try {
          const { page, problems } = await browser.newPage();
          const pages: [string, string, () => Promise<void>][] = [
            ['overview', '/dashboard', async () => void (await expect.poll(() => page.locator('#fleet li.tile').count()).toBe(SERVICES.length))],
            [
              'incident page',
              `/dashboard/incidents/${incidentId}`,
              async () => {
                expect(await page.locator('table.queries tbody tr').count()).toBeGreaterThan(5);
                expect(await page.locator('pre.log-excerpt').textContent()).toContain(UNBROKEN_LINE);
              },
            ],
            ['charts', '/dashboard/charts', async () => void (await expect.poll(() => page.locator('#chart-recovery circle').count()).toBeGreaterThan(0))],
          ];
          for (const [name, path, loaded] of pages) {
            await page.goto(`${baseUrl}${path}`);
            await loaded();
            const { scrollWidth, clientWidth, culprits } = await overflowing(page);
            expect(clientWidth, name).toBe(width);
            expect(scrollWidth, `${name} at ${width} px is ${scrollWidth} px wide: ${culprits.join(', ')}`).toBeLessThanOrEqual(clientWidth);
          }
          // The evidence wraps inside its own box too: a long query or log line never needs sideways scrolling.
          await page.goto(`${baseUrl}/dashboard/incidents/${incidentId}`);
          const excerpt = page.locator('pre.log-excerpt');
          expect(await excerpt.evaluate((element) => element.scrollWidth - element.clientWidth)).toBeLessThanOrEqual(0);
          expect(problems).toEqual([]);
        } finally {
          await browser.close();
        }
      }, 60_000);
    });
  }
});
