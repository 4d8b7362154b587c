/**
 * Regenerates the dashboard screenshots in docs/images/ (fleet view, an incident page, the
 * actions list, the charts): a devops agent in-process with a real command gateway, 600 seeded incidents over 14
 * days plus one live alert taken to a pending restart, photographed by Debian's Chromium at
 * 1280 px.
 *
 *   npx tsx --conditions=@atb/source scripts/dashboard-screenshots.ts
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { alert, eventually, notification, RealGateway, startAgent } from '../apps/devops-agent/test/support/agent-harness.js';
import { LAUNCH } from '../apps/devops-agent/test/support/chromium.js';
import { seedIncidents } from '../apps/devops-agent/test/support/seed-incidents.js';

const IMAGES = join(dirname(fileURLToPath(import.meta.url)), '..', 'docs', 'images');
mkdirSync(IMAGES, { recursive: true });

const gateway = new RealGateway({ targets: ['predictor-1', 'order-router', 'risk-engine', 'price-feed'] });
await gateway.start();
const catalogDirectory = mkdtempSync(join(tmpdir(), 'screenshots-catalog-'));
const servicesFile = join(catalogDirectory, 'services.yaml');
writeFileSync(
  servicesFile,
  `services:
  - { name: market-predictor, target: { container: predictor-1 }, health: { url: "${gateway.url}", interval_seconds: 5 } }
  - { name: order-router }
  - { name: risk-engine }
  - { name: price-feed }
`,
);
const started = await startAgent({ AI_COMMAND_GATEWAY_URL: gateway.url, SERVICES_FILE: servicesFile, SAFETY_MODE: 'true' });
const browser = await chromium.launch(LAUNCH);
try {
  await seedIncidents(started.agent.agent.store, 600, { days: 14 });
  const baseUrl = await started.agent.listen();
  const firing = alert({ alertname: 'MarketPredictorDown', service: 'market-predictor', container: 'predictor-1', severity: 'critical' });
  await fetch(`${baseUrl}/webhook/alerts`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(notification([firing])) });
  const pending = await eventually(
    async () => ((await (await fetch(`${baseUrl}/actions?status=pending`)).json()) as { actions: { incident_id: string }[] }).actions[0],
    15_000,
    'a pending action',
  );
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  const shots: [string, string][] = [
    ['dashboard-fleet.png', '/dashboard'],
    ['dashboard-incident.png', `/dashboard/incidents/${pending.incident_id}`],
    ['dashboard-actions.png', '/dashboard/actions?status=succeeded'],
    ['dashboard-charts.png', '/dashboard/charts'],
  ];
  for (const [file, path] of shots) {
    await page.goto(`${baseUrl}${path}`);
    await page.screenshot({ path: join(IMAGES, file), fullPage: file !== 'dashboard-fleet.png' });
    console.log(`wrote docs/images/${file}`);
  }
} finally {
  await browser.close();
  await started.close();
  await gateway.stop();
  rmSync(catalogDirectory, { recursive: true, force: true });
}
