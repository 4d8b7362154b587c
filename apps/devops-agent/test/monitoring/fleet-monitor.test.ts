import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitoringStatusSchema } from '@atb/contracts';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { AGENT_TOKEN, AUTHORIZED, eventually, startAgent } from '../support/agent-harness.js';
import { runAtb } from '../support/run-atb.js';

/** A /health endpoint that answers healthy, or never answers while `hang` is set. */
async function healthServer(): Promise<{ url: string; hang: boolean; hits: number; server: Server }> {
  const state = { url: '', hang: false, hits: 0, server: undefined as unknown as Server };
  state.server = createServer((_request, response) => {
    state.hits += 1;
    if (state.hang) return; // never answers: the probe's timeout ends it
    response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ status: 'healthy' }));
  });
  await new Promise<void>((resolve) => state.server.listen(0, '127.0.0.1', resolve));
  state.url = `http://127.0.0.1:${(state.server.address() as AddressInfo).port}`;
  return state;
}

describe('polling many services', () => {
  const directory = mkdtempSync(join(tmpdir(), 'agent-fleet-'));
  const file = join(directory, 'services.yaml');
  let running: Awaited<ReturnType<typeof startAgent>> | undefined;
  const servers: Server[] = [];
  afterEach(async () => {
    await running?.close();
    running = undefined;
    for (const server of servers.splice(0)) {
      server.closeAllConnections();
      server.close();
    }
  });
  afterAll(() => rmSync(directory, { recursive: true, force: true }));

  it('polls each service on its own interval; a hung one skips its probes and never delays the others; reloads add and drop services', async () => {
    const fast = await healthServer();
    const hung = await healthServer();
    servers.push(fast.server, hung.server);
    hung.hang = true;
    writeFileSync(
      file,
      `services:
  - name: fast
    health: { url: ${fast.url}, interval_seconds: 0.2, timeout_seconds: 1 }
  - name: hung
    health: { url: ${hung.url}, interval_seconds: 0.1, timeout_seconds: 6 }
  - name: unpolled
`,
    );
    running = await startAgent({ SERVICES_FILE: file, SERVICES_RELOAD_INTERVAL: '0.05', MONITORING_CONCURRENCY: '4' });
    const app = running.agent.app;
    expect((await app.inject({ method: 'POST', url: '/control/start-monitoring', headers: AUTHORIZED })).statusCode).toBe(200);
    // Five probes of the fast service while the hung one's first probe (6 s timeout) is still waiting.
    const status = await eventually(async () => {
      const reading = monitoringStatusSchema.parse((await app.inject({ url: '/monitoring/status' })).json());
      return (reading.services.find((service) => service.name === 'fast')?.cycles ?? 0) >= 5 ? reading : undefined;
    }, 5000, 'five probes of the fast service');
    const byName = Object.fromEntries(status.services.map((service) => [service.name, service]));
    expect(Object.keys(byName)).toEqual(['fast', 'hung']);
    expect(byName.fast).toMatchObject({ condition: 'ok', failures: 0 });
    // Had the hung probe held the schedule, the fast service's probes would be seconds late.
    expect(byName.fast!.lag_ms.p99).toBeLessThan(2000);
    expect(byName.hung!.cycles).toBe(0);
    expect(byName.hung!.skipped).toBeGreaterThanOrEqual(5);
    expect(hung.hits).toBe(1);
    // The hung probe holds one slot; a fast probe may hold another at the moment of reading.
    expect(status.concurrency.limit).toBe(4);
    expect(status.concurrency.busy).toBeGreaterThanOrEqual(1);
    expect(status.concurrency.busy).toBeLessThanOrEqual(2);

    // The hung service's probe times out: TargetDown for it alone, in its own incident.
    const incident = await eventually(async () => (await app.inject({ url: '/incidents?service=hung' })).json().incidents[0], 20_000, 'an incident of the hung service');
    expect(incident).toMatchObject({ alertname: 'TargetDown', service: 'hung' });
    expect((await app.inject({ url: '/incidents?service=fast' })).json().incidents).toEqual([]);

    writeFileSync(file, `services:\n  - name: fast\n    health: { url: ${fast.url}, interval_seconds: 0.2, timeout_seconds: 1 }\n  - name: added\n    health: { url: ${fast.url}, interval_seconds: 0.2 }\n`);
    await eventually(async () => {
      const names = monitoringStatusSchema.parse((await app.inject({ url: '/monitoring/status' })).json()).services.map((service) => service.name);
      return names.join(',') === 'fast,added' || undefined;
    }, 5000, 'the reloaded fleet');
    const added = await eventually(async () => {
      const services = monitoringStatusSchema.parse((await app.inject({ url: '/monitoring/status' })).json()).services;
      return services.find((service) => service.name === 'added' && service.cycles > 0);
    }, 5000, 'the added service probed');
    expect(added.condition).toBe('ok');

    const one = await app.inject({ method: 'POST', url: '/monitoring/cycle?service=added', headers: AUTHORIZED });
    expect(one.json().services).toEqual([{ service: 'added', condition: 'ok', alerts_fired: [], alerts_resolved: [] }]);
    const unknown = await app.inject({ method: 'POST', url: '/monitoring/cycle?service=nobody', headers: AUTHORIZED });
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json()).toMatchObject({ field: 'query.service' });

    // The CLI over a real socket: one line per service, and a filter by service.
    const previous = { url: process.env.DEVOPS_AGENT_URL, token: process.env.DEVOPS_AGENT_TOKEN };
    process.env.DEVOPS_AGENT_URL = await running.agent.listen();
    process.env.DEVOPS_AGENT_TOKEN = AGENT_TOKEN;
    try {
      const all = (await runAtb('monitoring', 'status')).stdout;
      expect(all).toContain('2 services');
      expect(all).toMatch(/fast\s.*ok/);
      expect(all).toMatch(/added\s.*ok/);
      const one = (await runAtb('monitoring', 'status', '--service', 'added')).stdout;
      expect(one).toContain('added');
      expect(one).not.toMatch(/^\s+fast\s/m);
      const services = (await runAtb('services')).stdout;
      expect(services).toMatch(/fast\s/);
      expect(services).toMatch(/added\s/);
      const detail = JSON.parse((await runAtb('services', 'fast', '--json')).stdout);
      expect(detail).toMatchObject({ name: 'fast', monitoring: { condition: 'ok' }, incidents: [] });
    } finally {
      process.exitCode = undefined;
      if (previous.url === undefined) delete process.env.DEVOPS_AGENT_URL;
      else process.env.DEVOPS_AGENT_URL = previous.url;
      if (previous.token === undefined) delete process.env.DEVOPS_AGENT_TOKEN;
      else process.env.DEVOPS_AGENT_TOKEN = previous.token;
    }
  });
});
