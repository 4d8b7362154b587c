import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Action } from '../../src/store/agent-store.js';
import { AUTHORIZED, alert, eventually, notification, RealGateway, startAgent } from '../support/agent-harness.js';
import { FakeTarget } from '../support/fake-target.js';

type Started = Awaited<ReturnType<typeof startAgent>>;

/**
 * What two catalog settings change, with the real gateway behind the agent: `autonomous: false`
 * keeps every action of that service waiting for a human even with SAFETY_MODE=false, and a health
 * check's `expected_status` is the one status that counts as up — for the monitor, the evidence
 * and the verification alike.
 */
describe('service catalog settings that change what the agent does', () => {
  let gateway: RealGateway | undefined;
  let started: Started | undefined;
  let target: FakeTarget | undefined;
  let directory: string | undefined;

  afterEach(async () => {
    await started?.close();
    await gateway?.stop();
    await target?.stop();
    if (directory) rmSync(directory, { recursive: true, force: true });
    started = gateway = target = directory = undefined;
  });

  const catalog = (yaml: string) => {
    directory = mkdtempSync(join(tmpdir(), 'catalog-behaviour-'));
    const file = join(directory, 'services.yaml');
    writeFileSync(file, yaml);
    return file;
  };
  const actionsOf = async (service: string) => (await started!.agent.app.inject({ url: `/actions?service=${service}` })).json().actions as Action[];

  it('autonomous: false — with SAFETY_MODE=false the action waits for a human, and runs once approved; its neighbour acts on its own', async () => {
    gateway = new RealGateway({ targets: ['ledger', 'orders'] });
    await gateway.start();
    const servicesFile = catalog('services:\n  - { name: ledger, autonomous: false }\n  - { name: orders }\n');
    started = await startAgent({ AI_COMMAND_GATEWAY_URL: gateway.url, SERVICES_FILE: servicesFile, SAFETY_MODE: 'false', VERIFICATION_WINDOW: '0.5' });
    const { app } = started.agent;
    const down = (service: string) => alert({ alertname: 'TargetDown', service, severity: 'critical' }, { annotations: { summary: `${service} is down: the process exited` } });
    expect((await app.inject({ method: 'POST', url: '/webhook/alerts', payload: notification([down('ledger'), down('orders')]) })).statusCode).toBe(200);

    // The neighbour without the setting: the restart runs on its own, decided by the policy.
    const automatic = await eventually(async () => (await actionsOf('orders')).find((action) => action.status === 'succeeded'), 15_000, 'orders restarted');
    expect(automatic).toMatchObject({ operation: 'restart', target: 'orders', decided_by: 'policy' });
    // The service with autonomous: false: the same restart, proposed and waiting, with the reason.
    const [waiting] = await eventually(async () => {
      const actions = await actionsOf('ledger');
      return actions.length > 0 ? actions : undefined;
    }, 15_000, 'a ledger action');
    expect(waiting).toMatchObject({
      operation: 'restart',
      target: 'ledger',
      status: 'pending',
      decision_reason: 'the service catalog allows no autonomous action on ledger: every action waits for a human',
    });
    expect((await app.inject({ url: `/incidents/${waiting!.incident_id}` })).json().state).toBe('awaiting_approval');
    expect(gateway.performed).toEqual([{ operation: 'restart', target: 'orders' }]);
    // Nothing more happens to ledger on its own.
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(gateway.performed.filter((operation) => operation.target === 'ledger')).toEqual([]);

    expect((await app.inject({ method: 'POST', url: `/actions/${waiting!.id}/approve`, headers: AUTHORIZED, payload: { reason: 'checked the ledger' } })).statusCode).toBe(200);
    await eventually(() => gateway!.performed.some((operation) => operation.target === 'ledger'), 15_000, 'the approved ledger restart');
    expect(gateway.performed).toEqual([
      { operation: 'restart', target: 'orders' },
      { operation: 'restart', target: 'ledger' },
    ]);
  });

  it('expected_status: 204 — a 204 is healthy, a 200 raises TargetDown naming the expected status, and a restart that leaves it at 200 is not effective', async () => {
    target = new FakeTarget();
    target.healthStatus = 204;
    const targetUrl = await target.start();
    gateway = new RealGateway({ targets: ['ingest'] });
    await gateway.start();
    const servicesFile = catalog(`services:\n  - { name: ingest, health: { url: "${targetUrl}", interval_seconds: 0.1, timeout_seconds: 0.5, expected_status: 204 } }\n`);
    started = await startAgent({ AI_COMMAND_GATEWAY_URL: gateway.url, SERVICES_FILE: servicesFile, SAFETY_MODE: 'false', AUTO_ACTION_MIN_CONFIDENCE: '0.5', VERIFICATION_WINDOW: '1', ACTION_COOLDOWN: '0' });
    const { app } = started.agent;
    expect((await app.inject({ method: 'POST', url: '/control/start-monitoring', headers: AUTHORIZED })).statusCode).toBe(200);

    // 204 No Content is what this service answers when healthy: checked many times, no incident.
    await eventually(() => target!.healthChecks >= 5, 10_000, 'five health checks');
    expect((await app.inject({ url: '/incidents' })).json().count).toBe(0);
    const services = (await app.inject({ url: '/monitoring/status' })).json();
    expect(JSON.stringify(services)).not.toContain('TargetDown');

    // A 200 is not the expected status: the service is down, and the alert says why.
    target.healthStatus = 200;
    const incident = await eventually(async () => ((await app.inject({ url: '/incidents' })).json().incidents as { id: string; alertname: string; service: string }[])[0], 10_000, 'an incident');
    expect(incident).toMatchObject({ alertname: 'TargetDown', service: 'ingest' });
    const detail = await eventually(async () => {
      const found = (await app.inject({ url: `/incidents/${incident.id}` })).json();
      return found.analysis ? found : undefined;
    }, 10_000, 'the analysis');
    expect(detail.alerts[0].annotations.description).toMatch(/answered 200 \(healthy\) in [\d.]+ ms, expected 204$/);

    // The restart runs (SAFETY_MODE=false) but the service still answers 200: not effective.
    const restart = await eventually(async () => (await actionsOf('ingest')).find((action) => action.effective !== null), 15_000, 'a verified action');
    expect(restart).toMatchObject({ operation: 'restart', status: 'succeeded', effective: false });
    expect(gateway.performed[0]).toEqual({ operation: 'restart', target: 'ingest' });
  });
});
