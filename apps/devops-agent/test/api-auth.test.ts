import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildDevopsAgent } from '../src/app.js';
import { MissingTokenError, resolveApiToken, tokenPrincipal } from '../src/auth/api-token.js';
import { readConfig } from '../src/config.js';
import { AGENT_TOKEN, alert, AUTHORIZED, eventually, notification, RealGateway, startAgent } from './support/agent-harness.js';

type Started = Awaited<ReturnType<typeof startAgent>>;

/** Authorization headers that must all be refused: none, wrong, one character off, Basic, empty bearer, … */
const REFUSED: [string, Record<string, string>][] = [
  ['no header', {}],
  ['a wrong token', { authorization: 'Bearer not-the-agent-token-at-all' }],
  ['a token differing in its last character', { authorization: `Bearer ${AGENT_TOKEN.slice(0, -1)}${AGENT_TOKEN.endsWith('x') ? 'y' : 'x'}` }],
  ['a token differing in its first character', { authorization: `Bearer X${AGENT_TOKEN.slice(1)}` }],
  ['the token with a suffix', { authorization: `Bearer ${AGENT_TOKEN}0` }],
  ['a Basic header', { authorization: `Basic ${Buffer.from(`admin:${AGENT_TOKEN}`).toString('base64')}` }],
  ['the bare token with no scheme', { authorization: AGENT_TOKEN }],
  ['an empty bearer', { authorization: 'Bearer ' }],
  ['an empty header', { authorization: '' }],
];

describe('the API token guards approvals and controls', () => {
  let gateway: RealGateway;
  let started: Started;
  const app = () => started.agent.app;

  beforeAll(async () => {
    gateway = new RealGateway({ targets: ['predictor-1'] });
    await gateway.start();
    started = await startAgent({ AI_COMMAND_GATEWAY_URL: gateway.url, MARKET_PREDICTOR_URL: gateway.url, SAFETY_MODE: 'true' });
  });
  afterAll(async () => {
    await started?.close();
    await gateway?.stop();
  });

  const pendingActions = async () =>
    (await app().inject({ url: '/actions?status=pending' })).json().actions as { id: string; incident_id: string; operation: string }[];

  async function raise(alertname: string): Promise<{ id: string; incident_id: string }> {
    // The webhook keeps its own credentials (none configured here): no agent token needed.
    const delivered = await app().inject({ method: 'POST', url: '/webhook/alerts', payload: notification([alert({ alertname, service: 'market-predictor', container: 'predictor-1' })]) });
    expect(delivered.statusCode).toBe(200);
    return eventually(async () => (await pendingActions()).find((action) => action.operation === 'restart' && action.id !== undefined && (action as { alertname?: string }).alertname === alertname), 5000, `a pending action for ${alertname}`);
  }

  it.each(REFUSED)('refuses %s on approve, reject, start/stop monitoring and the monitoring cycle; nothing changes', async (_what, headers) => {
    const action = await raise(`Refused${REFUSED.findIndex(([what]) => what === _what)}Down`);
    const auditBefore = (await app().inject({ url: '/audit/verify' })).json().count as number;
    const attempts = [
      { url: `/actions/${action.id}/approve`, payload: {} },
      { url: `/actions/${action.id}/reject`, payload: { reason: 'because' } },
      { url: '/control/start-monitoring' },
      { url: '/control/stop-monitoring' },
      { url: '/monitoring/cycle' },
    ];
    for (const attempt of attempts) {
      const answer = await app().inject({ method: 'POST', headers, ...attempt });
      expect(answer.statusCode, `${attempt.url} with ${_what}`).toBe(401);
      expect(answer.json()).toMatchObject({ error: 'unauthenticated', field: 'headers.authorization' });
      expect(answer.json().message).toMatch(/bearer token/);
    }
    expect((await app().inject({ url: `/actions/${action.id}` })).json().status).toBe('pending');
    expect(gateway.commandRequests()).toHaveLength(0);
    expect(started.agent.agent.monitor.running).toBe(false);
    expect(started.agent.agent.monitor.status().last_check).toBeNull();
    expect((await app().inject({ url: '/audit/verify' })).json().count).toBe(auditBefore);
  });

  it('a bad token is refused before the body is read: 401, not 422, for an invalid body', async () => {
    const answer = await app().inject({ method: 'POST', url: '/actions/anything/approve', payload: { nonsense: true } });
    expect(answer.statusCode).toBe(401);
    const authorized = await app().inject({ method: 'POST', url: '/actions/anything/approve', headers: AUTHORIZED, payload: { reason: 42 } });
    expect(authorized.statusCode).toBe(422);
  });

  it('reads, probes and the dashboard stay open without a token', async () => {
    for (const url of ['/health', '/status', '/metrics', '/incidents', '/actions', '/audit', '/audit/verify', '/monitoring/status', '/learning/stats', '/dashboard']) {
      expect((await app().inject({ url })).statusCode, url).toBe(200);
    }
  });

  it('with the right token: approve runs once, reject escalates, and the audit names the token principal (a body actor is refused)', async () => {
    const principal = tokenPrincipal(AGENT_TOKEN);
    const first = await raise('ApproveMeDown');
    const typed = await app().inject({ method: 'POST', url: `/actions/${first.id}/approve`, headers: AUTHORIZED, payload: { actor: 'alice', reason: 'ok' } });
    expect(typed.statusCode).toBe(422);
    expect(typed.json()).toMatchObject({ field: 'body.actor', message: expect.stringContaining('principal') });
    const approved = await app().inject({ method: 'POST', url: `/actions/${first.id}/approve`, headers: { authorization: `bearer  ${AGENT_TOKEN}` }, payload: { reason: 'ok' } });
    expect(approved.statusCode, approved.body).toBe(200);
    expect(approved.json()).toMatchObject({ approved_by: principal });
    await eventually(() => gateway.commandRequests().length === 1, 5000, 'the restart at the gateway');
    await eventually(() => gateway.totalExecutions() === 1, 5000, 'the restart performed');
    const approval = (await app().inject({ url: `/audit?action=action-approved&subject=${first.incident_id}` })).json().records;
    expect(approval).toEqual([
      expect.objectContaining({
        actor: principal,
        data: expect.objectContaining({ action_id: first.id, authenticated_via: 'token', principal: { id: 'bootstrap', name: principal, kind: 'person', role: 'admin' } }),
      }),
    ]);
    expect(principal).toMatch(/^token:[0-9a-f]{8}$/);
    expect(JSON.stringify(approval)).not.toContain(AGENT_TOKEN);

    const second = await raise('RejectMeDown');
    const rejected = await app().inject({ method: 'POST', url: `/actions/${second.id}/reject`, headers: AUTHORIZED, payload: { reason: 'not now' } });
    expect(rejected.json()).toMatchObject({ status: 'rejected', approved_by: principal });
    const rejection = (await app().inject({ url: `/audit?action=action-rejected&subject=${second.incident_id}` })).json().records;
    expect(rejection).toEqual([expect.objectContaining({ actor: principal, data: expect.objectContaining({ authenticated_via: 'token', principal: expect.objectContaining({ name: principal }) }) })]);

    expect((await app().inject({ method: 'POST', url: '/monitoring/cycle', headers: AUTHORIZED })).json()).toMatchObject({ status: 'completed' });
    expect((await app().inject({ method: 'POST', url: '/control/start-monitoring', headers: AUTHORIZED })).json()).toMatchObject({ status: 'started' });
    expect((await app().inject({ method: 'POST', url: '/control/stop-monitoring', headers: AUTHORIZED })).json()).toMatchObject({ status: 'stopped' });
    const controls = (await app().inject({ url: '/audit?subject=monitoring' })).json().records as { action: string; actor: string; data: Record<string, unknown> }[];
    expect(controls.map((record) => [record.action, record.actor, record.data.outcome])).toEqual([
      ['monitoring-started', principal, 'started'],
      ['monitoring-stopped', principal, 'stopped'],
    ]);
  });
});

describe('AGENT_API_READ_AUTH=true', () => {
  let started: Started;
  beforeAll(async () => {
    started = await startAgent({ AGENT_API_READ_AUTH: 'true' });
  });
  afterAll(async () => {
    await started?.close();
  });

  it('reads need the token too; probes, metrics and docs stay open; the webhook keeps its own credentials', async () => {
    const app = started.agent.app;
    for (const url of ['/incidents', '/actions', '/audit', '/learning/stats', '/monitoring/status']) {
      expect((await app.inject({ url })).statusCode, url).toBe(401);
      expect((await app.inject({ url, headers: { authorization: 'Bearer wrong-wrong-wrong-wrong' } })).statusCode, url).toBe(401);
      expect((await app.inject({ url, headers: AUTHORIZED })).statusCode, url).toBe(200);
    }
    // The dashboard signs people in instead: a page goes to the sign-in form, a fragment is 401.
    for (const headers of [{}, { authorization: 'Bearer wrong-wrong-wrong-wrong' }]) {
      expect(await app.inject({ url: '/dashboard', headers })).toMatchObject({ statusCode: 303, headers: { location: '/dashboard/sign-in' } });
      expect((await app.inject({ url: '/dashboard/fragments/incidents', headers })).statusCode).toBe(401);
    }
    expect((await app.inject({ url: '/dashboard/sign-in' })).statusCode).toBe(200);
    expect((await app.inject({ url: '/dashboard', headers: AUTHORIZED })).statusCode).toBe(200);
    for (const url of ['/health', '/status', '/metrics']) expect((await app.inject({ url })).statusCode, url).toBe(200);
    const webhook = await app.inject({ method: 'POST', url: '/webhook/alerts', payload: notification([alert({ alertname: 'ReadAuth', service: 'market-predictor' })]) });
    expect(webhook.statusCode).toBe(200);
  });
});

describe('where the token comes from', () => {
  const production = {
    ENVIRONMENT: 'production',
    WEBHOOK_BEARER_TOKEN: 'webhook-token-webhook-token',
    AI_COMMAND_GATEWAY_TOKEN: 'gateway-token-gateway-token',
    AUDIT_HMAC_KEY: 'audit-hmac-key-audit-hmac-key-0123',
  };

  it('production without AGENT_API_TOKEN refuses to start, naming the variable', async () => {
    expect(() => readConfig(production)).toThrow(/AGENT_API_TOKEN/);
    expect(() => readConfig({ ...production, AGENT_API_TOKEN: 'long-enough-agent-token', AUDIT_HMAC_KEY: undefined })).toThrow(/AUDIT_HMAC_KEY/);
    expect(() => readConfig({ ...production, AGENT_API_TOKEN: 'long-enough-agent-token' })).not.toThrow();
    expect(() => resolveApiToken({ configured: undefined, environment: 'production', dataDirectory: tmpdir() })).toThrow(MissingTokenError);
    // Even a configuration built around the schema does not start the agent.
    const directory = mkdtempSync(join(tmpdir(), 'devops-agent-auth-'));
    try {
      const config = { ...readConfig({ ...production, AGENT_API_TOKEN: 'long-enough-agent-token', DATA_DIR: directory, LOG_LEVEL: 'silent' }), AGENT_API_TOKEN: undefined };
      await expect(buildDevopsAgent(config, { logger: false })).rejects.toThrow(/AGENT_API_TOKEN/);
      expect(() => statSync(join(directory, 'api-token'))).toThrow();
    } finally {
      rmSync(directory, { recursive: true, force: true });
    }
  });

  it('a short AGENT_API_TOKEN is refused with a message naming it', () => {
    expect(() => readConfig({ AGENT_API_TOKEN: 'short' })).toThrow(/AGENT_API_TOKEN/);
  });

  it('in development it is generated once into <DATA_DIR>/api-token (0600) and reused across restarts', async () => {
    const directory = mkdtempSync(join(tmpdir(), 'devops-agent-auth-'));
    const config = readConfig({ API_PORT: '0', LOG_LEVEL: 'silent', DATA_DIR: directory, AI_COMMAND_GATEWAY_TOKEN: 'test-token' });
    try {
      const first = await buildDevopsAgent(config, { logger: false });
      const file = join(directory, 'api-token');
      const token = readFileSync(file, 'utf8').trim();
      expect(token.length).toBeGreaterThanOrEqual(32);
      expect(statSync(file).mode & 0o777).toBe(0o600);
      expect((await first.app.inject({ method: 'POST', url: '/control/stop-monitoring' })).statusCode).toBe(401);
      expect((await first.app.inject({ method: 'POST', url: '/control/stop-monitoring', headers: { authorization: `Bearer ${token}` } })).statusCode).toBe(200);
      await first.close();

      const second = await buildDevopsAgent(config, { logger: false });
      try {
        expect(readFileSync(file, 'utf8').trim()).toBe(token);
        expect(statSync(file).mode & 0o777).toBe(0o600);
        expect((await second.app.inject({ method: 'POST', url: '/control/stop-monitoring', headers: { authorization: `Bearer ${token}` } })).statusCode).toBe(200);
        expect((await second.app.inject({ method: 'POST', url: '/control/stop-monitoring', headers: AUTHORIZED })).statusCode).toBe(401);
      } finally {
        await second.close();
      }
    } finally {
      rmSync(directory, { recursive: true, force: true });
    }
  });
});
