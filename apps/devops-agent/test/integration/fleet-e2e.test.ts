import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { serviceDetailSchema, serviceListResponseSchema } from '@atb/contracts';
import { freePort } from '@atb/testing';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { alert, AUTHORIZED, eventually, notification, RealGateway, startAgent } from '../support/agent-harness.js';
import { buildPredictor, REPOSITORY_ROOT, waitForHealthy } from './e2e-stack.js';

interface IncidentView {
  id: string;
  service: string;
  state: string;
  escalation_reason: string | null;
  actions: { operation: string; target: string; status: string; effective: boolean | null }[];
}

/**
 * Three market-predictor processes under different names (the built predictor, supervised by
 * `atb up`'s supervisor), the real command gateway with its process runtime (alpha and beta
 * allowlisted; gamma not), and one agent with a services file polling all three. Crashes of all
 * three at once: alpha and beta are restarted by the gateway's runtime and verified
 * independently, gamma escalates as not allowlisted with no action, and an alert of a service
 * outside the catalog escalates too.
 */
describe('many services, one catalog, end to end', () => {
  const names = ['alpha', 'beta', 'gamma'] as const;
  const directory = mkdtempSync(join(tmpdir(), 'agent-fleet-e2e-'));
  let gateway: RealGateway | undefined;
  let agent: Awaited<ReturnType<typeof startAgent>> | undefined;

  beforeAll(() => buildPredictor(), 180_000);
  afterEach(async () => {
    await agent?.close();
    await gateway?.stop();
  });
  afterAll(() => rmSync(directory, { recursive: true, force: true }));

  it('two faults at once: two incidents, two restarts of the right targets, two verifications; the third escalates as not allowlisted; an unknown service escalates', async () => {
    const urls: Record<string, string> = {};
    const processes: Record<string, { script: string; env: Record<string, string> }> = {};
    for (const name of names) {
      const port = await freePort();
      urls[name] = `http://127.0.0.1:${port}`;
      processes[name] = {
        script: join(REPOSITORY_ROOT, 'apps/market-predictor/dist/src/main.js'),
        env: { API_HOST: '127.0.0.1', API_PORT: String(port), CHAOS_ENABLED: 'true', DATA_DIR: join(directory, name), LOG_LEVEL: 'warn' },
      };
    }
    gateway = new RealGateway({ targets: ['alpha', 'beta'], unlistedTargets: ['gamma'], processes });
    const gatewayUrl = await gateway.start();
    await Promise.all(names.map((name) => waitForHealthy(urls[name]!, 30_000)));
    const file = join(directory, 'services.yaml');
    writeFileSync(
      file,
      `services:\n${names
        .map((name) => `  - name: ${name}\n    health: { url: ${urls[name]}, interval_seconds: 0.1, timeout_seconds: 0.5 }\n    owners: [team-${name}]\n    repository: acme/${name}\n`)
        .join('')}`,
    );
    agent = await startAgent({
      SERVICES_FILE: file,
      AI_COMMAND_GATEWAY_URL: gatewayUrl,
      SAFETY_MODE: 'false',
      // Polling alone: the gateway's event path has its own tests (container-events*.test.ts).
      GATEWAY_EVENTS: 'false',
      AUTO_ACTION_MIN_CONFIDENCE: '0.1',
      ACTION_COOLDOWN: '0',
      VERIFICATION_WINDOW: '10',
    });
    const app = agent.agent.app;
    const incidentOf = async (service: string) => {
      const [listed] = (await app.inject({ url: `/incidents?service=${service}` })).json().incidents as { id: string }[];
      return listed ? ((await app.inject({ url: `/incidents/${listed.id}` })).json() as IncidentView) : undefined;
    };
    await app.inject({ method: 'POST', url: '/control/start-monitoring', headers: AUTHORIZED });
    await eventually(async () => {
      const status = (await app.inject({ url: '/monitoring/status' })).json() as { services: { name: string; condition: string }[] };
      return status.services.every((service) => service.condition === 'ok') || undefined;
    }, 10_000, 'all three healthy');

    const crash = (url: string) => fetch(`${url}/chaos/crash`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ delay_ms: 10 }) });
    await Promise.all(names.map((name) => crash(urls[name]!)));
    const unknown = await app.inject({ method: 'POST', url: '/webhook/alerts', payload: notification([alert({ alertname: 'TargetDown', service: 'postgres-primary', severity: 'critical' })]) });
    expect(unknown.statusCode).toBe(200);

    const resolved = await eventually(async () => {
      const [alpha, beta] = [await incidentOf('alpha'), await incidentOf('beta')];
      return alpha?.state === 'resolved' && beta?.state === 'resolved' ? { alpha, beta } : undefined;
    }, 30_000, 'alpha and beta resolved');
    for (const name of ['alpha', 'beta'] as const) {
      expect(resolved[name].id).not.toBe(resolved[name === 'alpha' ? 'beta' : 'alpha'].id);
      expect(resolved[name].actions).toEqual([expect.objectContaining({ operation: 'restart', target: name, status: 'succeeded', effective: true })]);
    }
    expect([...gateway.performed].sort((left, right) => left.target.localeCompare(right.target))).toEqual([
      { operation: 'restart', target: 'alpha' },
      { operation: 'restart', target: 'beta' },
    ]);
    const verified = (await app.inject({ url: '/audit?action=action-verified', headers: AUTHORIZED })).json().records as { subject: string; data: { effective: boolean } }[];
    expect(verified.map((record) => record.subject).sort()).toEqual([resolved.alpha.id, resolved.beta.id].sort());
    expect(verified.every((record) => record.data.effective)).toBe(true);

    const gamma = await eventually(async () => {
      const found = await incidentOf('gamma');
      return found?.state === 'escalated' ? found : undefined;
    }, 15_000, 'gamma escalated');
    expect(gamma.escalation_reason).toContain('not allowlisted at the gateway');
    expect(gamma.escalation_reason).toContain('restart gamma');
    expect(gamma.actions).toEqual([]);
    const outside = await eventually(async () => {
      const found = await incidentOf('postgres-primary');
      return found?.state === 'escalated' ? found : undefined;
    }, 10_000, 'the unknown service escalated');
    expect(outside.escalation_reason).toContain('no catalog entry matches the alert');
    expect(outside.actions).toEqual([]);
    expect((await app.inject({ url: '/actions?status=pending' })).json().actions).toEqual([]);
    expect(gateway.commandRequests().map((request) => (request.body.target_resource as { name: string }).name).sort()).toEqual(['alpha', 'beta']);

    const services = serviceListResponseSchema.parse((await app.inject({ url: '/services' })).json());
    expect(services.services.map((service) => [service.name, service.open_incidents])).toEqual([
      ['alpha', 0],
      ['beta', 0],
      ['gamma', 0],
    ]);
    const alpha = serviceDetailSchema.parse((await app.inject({ url: '/services/alpha' })).json());
    expect(alpha).toMatchObject({ owners: ['team-alpha'], repository: 'acme/alpha', last_actions: [expect.objectContaining({ target: 'alpha', effective: true })] });
    expect(alpha.learning).toEqual([expect.objectContaining({ service: 'alpha', action: 'restart', attempts: 1, successes: 1 })]);
    expect((await app.inject({ url: '/services/postgres-primary' })).statusCode).toBe(404);

    // The dashboard: a services panel with every service, and one page per service.
    const dashboard = await app.inject({ url: '/dashboard' });
    expect(dashboard.statusCode).toBe(200);
    for (const name of names) expect(dashboard.body).toContain(`data-service="${name}"`);
    const page = await app.inject({ url: '/dashboard/services/alpha' });
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('repository acme/alpha');
    expect(page.body).toContain('restart');
  });
});
