import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { AUTHORIZED, eventually, RealGateway, startAgent } from './support/agent-harness.js';
import { FakeTarget } from './support/fake-target.js';
import { containerEvent, ScriptedEvents } from './support/scripted-events.js';

interface IncidentDetail {
  id: string;
  state: string;
  service: string;
  opened_at: string;
  resolved_at: string | null;
  timeline: { type: string; data: Record<string, unknown> }[];
  alerts: { fingerprint: string; status: string; labels: Record<string, string> }[];
  actions: { operation: string; target: string; status: string }[];
}

/**
 * Container events on the agent's side with the real gateway behind them: the gateway's own
 * `GET /events` is replaced by a scripted stream (so an event can arrive late, or name any
 * container); every other request reaches the real gateway app, whose restarts really run.
 */
describe('container events: stale deaths and catalog services', () => {
  const directory = mkdtempSync(join(tmpdir(), 'agent-events-catalog-'));
  const targets: FakeTarget[] = [];
  let events: ScriptedEvents | undefined;
  let gateway: RealGateway | undefined;
  let agent: Awaited<ReturnType<typeof startAgent>> | undefined;

  afterEach(async () => {
    await agent?.close();
    agent = undefined;
    await events?.stop();
    await gateway?.stop();
    for (const target of targets.splice(0)) await target.stop();
  });
  afterAll(() => rmSync(directory, { recursive: true, force: true }));

  const newTarget = async (mode: FakeTarget['mode']) => {
    const target = new FakeTarget();
    target.mode = mode;
    targets.push(target);
    return { target, url: await target.start() };
  };
  const detail = async (id: string) => (await agent!.agent.app.inject({ url: `/incidents/${id}` })).json() as IncidentDetail;
  const incidents = async () => (await agent!.agent.app.inject({ url: '/incidents?limit=100' })).json().incidents as IncidentDetail[];
  const eventStatus = async () => (await agent!.agent.app.inject({ url: '/status' })).json().container_events as Record<string, number>;

  it('a death older than the last verified recovery is recorded on the recovered incident and not acted on; a later death still is', async () => {
    const { target, url: targetUrl } = await newTarget('down');
    gateway = new RealGateway();
    await gateway.start();
    gateway.onExecute = ({ operation }) => {
      if (operation === 'restart') target.mode = 'healthy';
    };
    events = new ScriptedEvents();
    agent = await startAgent({
      AI_COMMAND_GATEWAY_URL: await events.start(gateway.url),
      MARKET_PREDICTOR_URL: targetUrl,
      SAFETY_MODE: 'false',
      AUTO_ACTION_MIN_CONFIDENCE: '0.5',
      ACTION_COOLDOWN: '0',
      MONITORING_INTERVAL: '0.1',
      HEALTH_RECHECK_DELAY: '0',
      MONITORING_AUTOSTART: 'true',
    });
    await eventually(async () => events!.connections >= 1 || undefined, 10_000, 'the agent to follow the events');

    // Polling sees the service down, restarts it through the gateway and verifies the recovery.
    const [first] = await eventually(async () => {
      const found = await incidents();
      return found[0]?.state === 'resolved' ? found : undefined;
    }, 15_000, 'polling to restart the service and resolve its incident');
    const recovered = await detail(first!.id);
    expect(recovered.actions).toEqual([expect.objectContaining({ operation: 'restart', status: 'succeeded' })]);
    expect(gateway.totalExecutions()).toBe(1);

    // Only now the death arrives (a stream that lagged), dated when the service went down.
    const late = containerEvent('container-died', 'market-predictor', { exit_code: 137, time: recovered.opened_at });
    expect(late.time < recovered.resolved_at!).toBe(true);
    events.send(late);
    await eventually(async () => ((await eventStatus()).raised ?? 0) >= 1 || undefined, 10_000, 'the late death at the intake');
    await new Promise((resolve) => setTimeout(resolve, 1000));
    expect(gateway.totalExecutions()).toBe(1);
    const after = await detail(first!.id);
    expect(after.state).toBe('resolved');
    expect(after.timeline.map((entry) => entry.type)).toContain('stale-failure-recorded');
    expect(after.timeline.map((entry) => entry.type)).not.toContain('incident-reopened');
    expect(after.alerts).toContainEqual(expect.objectContaining({ status: 'resolved', labels: expect.objectContaining({ alertname: 'ContainerDown' }) }));
    expect(await incidents()).toHaveLength(1);
    expect((await eventStatus()).stale).toBe(1);

    // A death after the recovery is a new failure: the incident re-opens and the service is restarted again.
    expect((await agent.agent.app.inject({ method: 'POST', headers: AUTHORIZED, url: '/control/stop-monitoring' })).statusCode).toBe(200);
    target.mode = 'down';
    const fresh = containerEvent('container-died', 'market-predictor', { exit_code: 137 });
    events.send(fresh);
    await eventually(async () => gateway!.totalExecutions() >= 2 || undefined, 15_000, 'the second restart');
    const reopened = await detail(first!.id);
    expect(reopened.timeline.map((entry) => entry.type)).toContain('incident-reopened');
    expect(reopened.alerts).toContainEqual(expect.objectContaining({ status: 'firing', labels: expect.objectContaining({ alertname: 'ContainerDown' }) }));
    expect((await eventStatus()).stale).toBe(1);
  });

  it('an event belongs to the catalog service whose target is its container, by name or by labels; others are ignored', async () => {
    const billing = await newTarget('healthy');
    const search = await newTarget('healthy');
    const file = join(directory, 'services.yaml');
    writeFileSync(
      file,
      `services:
  - name: billing
    target: { container: billing-api }
    health: { url: ${billing.url}, interval_seconds: 60, timeout_seconds: 1 }
  - name: search
    target: { labels: { app: search, tier: web } }
    health: { url: ${search.url}, interval_seconds: 60, timeout_seconds: 1 }
`,
    );
    events = new ScriptedEvents();
    agent = await startAgent({ AI_COMMAND_GATEWAY_URL: await events.start(), SERVICES_FILE: file, SAFETY_MODE: 'true', VERIFICATION_WINDOW: '10', HEALTH_RECHECK_TIMEOUT: '0.3' });
    await eventually(async () => events!.connections >= 1 || undefined, 10_000, 'the agent to follow the events');

    events.send(
      containerEvent('container-died', 'billing-api', { exit_code: 1 }),
      containerEvent('container-died', 'search-7f2c', { exit_code: 137, labels: { app: 'search', tier: 'web', version: '3' } }),
      containerEvent('container-died', 'stranger', { exit_code: 1 }),
      containerEvent('container-died', 'search-batch', { exit_code: 1, labels: { app: 'search', tier: 'batch' } }),
    );
    const opened = await eventually(async () => {
      const found = await incidents();
      return found.length >= 2 ? found : undefined;
    }, 10_000, 'an incident per owned container');
    await eventually(async () => ((await eventStatus()).unowned ?? 0) >= 2 || undefined, 10_000, 'the events of unowned containers');
    expect(opened.map((incident) => incident.service).sort()).toEqual(['billing', 'search']);
    const byService = Object.fromEntries(await Promise.all(opened.map(async (incident) => [incident.service, await detail(incident.id)] as const)));
    expect(byService.billing!.alerts).toEqual([expect.objectContaining({ labels: expect.objectContaining({ alertname: 'ContainerDown', catalog_service: 'billing', container: 'billing-api' }) })]);
    expect(byService.search!.alerts).toEqual([expect.objectContaining({ labels: expect.objectContaining({ catalog_service: 'search', container: 'search-7f2c' }) })]);
    // The restart each would need goes to the container that died.
    const pending = await eventually(async () => {
      const found = (await agent!.agent.app.inject({ url: '/actions?status=pending' })).json().actions as { target: string }[];
      return found.length >= 2 ? found : undefined;
    }, 10_000, 'a proposed action per incident');
    expect(pending.map((action) => action.target).sort()).toEqual(['billing-api', 'search-7f2c']);
    expect(await eventStatus()).toMatchObject({ events: 4, raised: 2, unowned: 2 });

    // A start clears the owning service's failure once its own health check answers; the other stays.
    billing.target.mode = 'down';
    events.send(containerEvent('container-started', 'billing-api'));
    await new Promise((resolve) => setTimeout(resolve, 700));
    expect((await detail(byService.billing!.id)).state).not.toBe('resolved');
    billing.target.mode = 'healthy';
    await eventually(async () => (await detail(byService.billing!.id)).state === 'resolved' || undefined, 10_000, 'billing to resolve once it answers');
    expect((await detail(byService.search!.id)).state).not.toBe('resolved');
    expect(search.target.healthChecks).toBe(0);
  });

  it('an event of a container no entry owns never opens an incident', async () => {
    const file = join(directory, 'one-service.yaml');
    writeFileSync(file, 'services:\n  - name: ledger\n');
    events = new ScriptedEvents();
    agent = await startAgent({ AI_COMMAND_GATEWAY_URL: await events.start(), SERVICES_FILE: file, SAFETY_MODE: 'true' });
    await eventually(async () => events!.connections >= 1 || undefined, 10_000, 'the agent to follow the events');
    events.send(containerEvent('container-died', 'ledger-worker', { exit_code: 1 }), containerEvent('container-oom', 'cache'));
    await eventually(async () => ((await eventStatus()).unowned ?? 0) >= 2 || undefined, 10_000, 'both events');
    // The entry's own container (named after it by default) is still followed.
    events.send(containerEvent('container-died', 'ledger', { exit_code: 1 }));
    const [incident] = await eventually(async () => {
      const found = await incidents();
      return found.length > 0 ? found : undefined;
    }, 10_000, 'the incident of the owned container');
    expect(incident).toMatchObject({ service: 'ledger' });
    expect(await incidents()).toHaveLength(1);
    expect(await eventStatus()).toMatchObject({ events: 3, unowned: 2, raised: 1 });
  });

  it('the reconnect pause grows while the gateway stays away, and a stream that ends at once is not reopened in a tight loop', async () => {
    events = new ScriptedEvents();
    const url = await events.start();
    // Every stream ends right after it opened.
    events.closeOnOpen = true;
    agent = await startAgent({ AI_COMMAND_GATEWAY_URL: url });
    await new Promise((resolve) => setTimeout(resolve, 3000));
    // 250 ms doubling, each drawn between half the bound and the bound: at most 125 + 250 + 500 + 1000 + 2000 ms of pauses fit in 3 s.
    expect(events.connections).toBeGreaterThanOrEqual(2);
    expect(events.connections).toBeLessThanOrEqual(6);
  });
});
