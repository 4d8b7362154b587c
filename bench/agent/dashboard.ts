/**
 * Benchmark of the devops agent's dashboard: server time of `GET /dashboard` (every panel:
 * status, pending approvals, incidents, learning, audit), `GET /dashboard/incidents` and
 * `GET /dashboard/actions` (a filtered page each), `GET /dashboard/charts` and the second page of `GET /incidents` with 10,000 incidents
 * (and 3,334 verified actions) in the store (SQLite, the default), measured in-process with
 * `app.inject` so only the server's work counts; `GET /health` of the same agent in the same
 * run is the baseline. Goal: `GET /dashboard` p99 ≤ 300 ms.
 *
 *   npx tsx --conditions=@atb/source bench/agent/dashboard.ts [--incidents 10000] [--requests 40]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { buildDevopsAgent } from '../../apps/devops-agent/src/app.js';
import { readConfig } from '../../apps/devops-agent/src/config.js';
import { seedIncidents } from '../../apps/devops-agent/test/support/seed-incidents.js';

const { values: args } = parseArgs({ options: { incidents: { type: 'string', default: '10000' }, requests: { type: 'string', default: '40' } } });
const INCIDENTS = Number(args.incidents);
const REQUESTS = Number(args.requests);
const GOAL_MS = 300;

const quantile = (values: number[], q: number) => [...values].sort((a, b) => a - b)[Math.max(1, Math.ceil(q * values.length)) - 1] ?? 0;

const directory = mkdtempSync(join(tmpdir(), 'bench-dashboard-'));
const agent = await buildDevopsAgent(
  readConfig({ API_PORT: '0', LOG_LEVEL: 'silent', DATA_DIR: directory, AI_COMMAND_GATEWAY_TOKEN: 'bench-token-0123456789', AI_COMMAND_GATEWAY_URL: 'http://127.0.0.1:9', MARKET_PREDICTOR_URL: 'http://127.0.0.1:9' }),
  { logger: false },
);
try {
  const seededAt = performance.now();
  const seeded = await seedIncidents(agent.agent.store, INCIDENTS, { days: 30 });
  console.log(`seeded ${seeded.incidents.length} incidents and ${seeded.actions.length} actions in ${Math.round(performance.now() - seededAt)} ms`);
  const firstPage = (await agent.app.inject({ url: '/incidents?limit=50' })).json<{ next_cursor: string }>();
  const routes = {
    'GET /health (baseline)': '/health',
    'GET /dashboard': '/dashboard',
    'GET /dashboard/incidents?service&state': '/dashboard/incidents?service=price-feed&state=resolved',
    'GET /dashboard/actions?status&operation': '/dashboard/actions?status=succeeded&operation=restart',
    'GET /dashboard/charts': '/dashboard/charts',
    'GET /incidents (page 2, cursor)': `/incidents?limit=50&cursor=${firstPage.next_cursor}`,
  };
  const results: Record<string, { p50: number; p99: number }> = {};
  for (const [name, url] of Object.entries(routes)) {
    for (let warm = 0; warm < 3; warm += 1) await agent.app.inject({ url });
    const times: number[] = [];
    for (let index = 0; index < REQUESTS; index += 1) {
      const start = performance.now();
      const response = await agent.app.inject({ url });
      times.push(performance.now() - start);
      if (response.statusCode !== 200) throw new Error(`${url} answered ${response.statusCode}: ${response.body.slice(0, 200)}`);
    }
    results[name] = { p50: Math.round(quantile(times, 0.5) * 10) / 10, p99: Math.round(quantile(times, 0.99) * 10) / 10 };
    console.log(`${name.padEnd(42)} p50 ${String(results[name].p50).padStart(7)} ms   p99 ${String(results[name].p99).padStart(7)} ms`);
  }
  const dashboard = results['GET /dashboard']!;
  console.log(`goal: GET /dashboard p99 ≤ ${GOAL_MS} ms with ${INCIDENTS} incidents: ${dashboard.p99 <= GOAL_MS ? 'met' : 'NOT met'}`);
} finally {
  await agent.close();
  rmSync(directory, { recursive: true, force: true });
}
