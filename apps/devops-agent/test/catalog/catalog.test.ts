import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { parseCatalog } from '../../src/catalog/load-catalog.js';
import type { FastifyBaseLogger } from 'fastify';
import type { AgentAudit } from '../../src/audit/agent-audit.js';
import { matchService, ServiceCatalog, targetOfService } from '../../src/catalog/service-catalog.js';
import { AUTHORIZED, eventually, startAgent } from '../support/agent-harness.js';

const GOOD = `services:
  - name: orders
    alerts: [{ service: orders }, { job: orders-api }]
    health: { url: http://127.0.0.1:9, interval_seconds: 5, expected_status: 200 }
    owners: [team-orders]
    escalation_channel: "#orders"
    repository: acme/orders
  - name: billing
    target: { labels: { app: billing } }
    autonomous: false
`;

describe('the services file', () => {
  it('fills in defaults: matchers by service name, target the container of that name', () => {
    const parsed = parseCatalog(GOOD, 'services.yaml');
    if (!parsed.ok) throw new Error(parsed.error);
    const [orders, billing] = parsed.value.services;
    expect(orders).toMatchObject({ name: 'orders', target: { container: 'orders' }, repository: 'acme/orders', autonomous: true, health: { timeout_seconds: 10 } });
    expect(billing).toMatchObject({ alerts: [{ service: 'billing' }], autonomous: false, owners: [] });
    expect(matchService(parsed.value.services, { alertname: 'X', job: 'orders-api' })?.name).toBe('orders');
    expect(matchService(parsed.value.services, { alertname: 'X', service: 'payments' })).toBeUndefined();
    expect(targetOfService(billing!, { service: 'billing', container: 'billing-2' })).toBe('billing-2');
    expect(targetOfService(billing!, { service: 'billing' })).toBeUndefined();
    expect(targetOfService(orders!, { service: 'orders', container: 'sidecar' })).toBe('orders');
  });

  it.each([
    ['services:\n  - name: a\n  - name: b\n    health: { url: "http://x", timeout_seconds: "fast" }\n', 'services[1] (name "b"): health.timeout_seconds:'],
    ['services:\n  - name: a\n    colour: blue\n', 'services[0] (name "a"): (entry):'],
    ['services:\n  - name: a\n  - name: a\n', 'services[1] (name "a"): name: already used by services[0]'],
    ['services:\n  - name: "bad name"\n', 'services[0] (name "bad name"): name: expected letters'],
    ['services:\n  - name: a\n    alerts: [{}]\n', 'services[0] (name "a"): alerts.0: expected at least one label'],
    ['services:\n  - name: a\n    target: {}\n', 'services[0] (name "a"): target: expected container or labels'],
    ['services: []\n', 'services:'],
    ['services: [\n', 'is not valid YAML'],
  ])('refuses %j naming the entry and the field', (text, expected) => {
    const parsed = parseCatalog(text, 'services.yaml');
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.error).toContain(expected);
  });
});

describe('a reload', () => {
  it('logs why a bad file was refused, and keeps the catalog in force', async () => {
    const directory = mkdtempSync(join(tmpdir(), 'agent-catalog-log-'));
    const file = join(directory, 'services.yaml');
    const warnings: string[] = [];
    const records: string[] = [];
    const logger = { warn: (_data: unknown, message: string) => warnings.push(message), info: () => {} } as unknown as FastifyBaseLogger;
    const audit = { record: async (action: string) => void records.push(action) } as unknown as AgentAudit;
    const initial = parseCatalog(GOOD, file);
    if (!initial.ok) throw new Error(initial.error);
    const catalog = new ServiceCatalog(initial.value, { logger, audit });
    writeFileSync(file, 'services:\n  - name: orders\n    owners: nobody\n');
    expect(await catalog.reload(file)).toMatchObject({ ok: false });
    expect(warnings).toEqual([expect.stringMatching(/keeping the catalog in force: .*services\[0\] \(name "orders"\): owners:/)]);
    expect(records).toEqual(['catalog-reload-rejected']);
    expect(catalog.list().map((entry) => entry.name)).toEqual(['orders', 'billing']);
    rmSync(directory, { recursive: true, force: true });
  });
});

describe('the catalog in a running agent', () => {
  let running: Awaited<ReturnType<typeof startAgent>> | undefined;
  const directory = mkdtempSync(join(tmpdir(), 'agent-catalog-'));
  const file = join(directory, 'services.yaml');
  afterEach(async () => {
    await running?.close();
    running = undefined;
  });
  afterAll(() => rmSync(directory, { recursive: true, force: true }));

  it('a bad file at start stops the agent, naming SERVICES_FILE, the entry and the field', async () => {
    writeFileSync(file, 'services:\n  - name: orders\n    health: { url: "not a url" }\n');
    await expect(startAgent({ SERVICES_FILE: file })).rejects.toThrow(/SERVICES_FILE: .*services\[0\] \(name "orders"\): health\.url: expected an http\(s\) URL/);
  });

  it('a bad file on reload keeps the catalog in force and says why on /status and in the audit', async () => {
    writeFileSync(file, GOOD);
    running = await startAgent({ SERVICES_FILE: file, SERVICES_RELOAD_INTERVAL: '0.05' });
    const app = running.agent.app;
    const before = (await app.inject({ url: '/status' })).json().catalog;
    expect(before).toMatchObject({ source: file, services: 2, last_error: null });

    writeFileSync(file, `${GOOD}  - name: payments\n    autonomous: maybe\n`);
    const refused = await eventually(async () => (await app.inject({ url: '/status' })).json().catalog.last_error ?? undefined, 5000, 'the refusal on /status');
    expect(refused.error).toContain('services[2] (name "payments"): autonomous:');
    expect((await app.inject({ url: '/status' })).json().catalog).toMatchObject({ version: before.version, services: 2 });
    expect(running.agent.agent.ports.catalog.get('billing')).toBeDefined();
    const audit = (await app.inject({ url: '/audit?action=catalog-reload-rejected', headers: AUTHORIZED })).json();
    expect(audit.records).toEqual([expect.objectContaining({ action: 'catalog-reload-rejected', subject: file, data: expect.objectContaining({ kept_version: before.version }) })]);

    writeFileSync(file, `${GOOD}  - name: payments\n`);
    const reloaded = await eventually(async () => {
      const catalog = (await app.inject({ url: '/status' })).json().catalog;
      return catalog.services === 3 ? catalog : undefined;
    }, 5000, 'the corrected file in force');
    expect(reloaded.last_error).toBeNull();
    expect(running.agent.agent.ports.catalog.get('payments')?.autonomous).toBe(true);
  });
});
