import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { buildDevopsAgent, type DevopsAgentService } from '../src/app.js';
import { tokenPrincipal } from '../src/auth/api-token.js';
import { readConfig } from '../src/config.js';
import { alert, eventually, GATEWAY_TOKEN, notification, RealGateway } from './support/agent-harness.js';
import { runAtb } from './support/run-atb.js';

const VARIABLES = ['DEVOPS_AGENT_URL', 'DEVOPS_AGENT_TOKEN', 'DEVOPS_AGENT_TOKEN_FILE', 'ATB_DATA_DIR'] as const;

/**
 * `atb approve|reject` against an agent laid out as `atb up` lays it out (DATA_DIR =
 * `<ATB_DATA_DIR>/devops-agent`, no AGENT_API_TOKEN): the CLI finds the generated token by default,
 * and a wrong or missing token changes nothing.
 */
describe('atb and the agent API token', () => {
  let gateway: RealGateway;
  let agent: DevopsAgentService;
  let dataDirectory: string;
  const previous = Object.fromEntries(VARIABLES.map((name) => [name, process.env[name]]));

  beforeAll(async () => {
    gateway = new RealGateway();
    await gateway.start();
    dataDirectory = mkdtempSync(join(tmpdir(), 'atb-auth-cli-'));
    agent = await buildDevopsAgent(
      readConfig({
        API_PORT: '0',
        LOG_LEVEL: 'silent',
        DATA_DIR: join(dataDirectory, 'devops-agent'),
        AI_COMMAND_GATEWAY_URL: gateway.url,
        AI_COMMAND_GATEWAY_TOKEN: GATEWAY_TOKEN,
        SAFETY_MODE: 'true',
      }),
      { logger: false },
    );
    for (const name of VARIABLES) delete process.env[name];
    process.env.DEVOPS_AGENT_URL = await agent.listen();
    process.env.ATB_DATA_DIR = dataDirectory;
  });
  afterAll(async () => {
    for (const name of VARIABLES) {
      if (previous[name] === undefined) delete process.env[name];
      else process.env[name] = previous[name];
    }
    await agent?.close();
    await gateway?.stop();
    rmSync(dataDirectory, { recursive: true, force: true });
  });
  afterEach(() => {
    process.exitCode = undefined;
    vi.restoreAllMocks();
  });

  const atb = runAtb;

  async function pendingAction(alertname: string): Promise<{ id: string }> {
    await agent.app.inject({ method: 'POST', url: '/webhook/alerts', payload: notification([alert({ alertname, service: 'market-predictor' })]) });
    return eventually(
      async () => ((await agent.app.inject({ url: '/actions?status=pending' })).json().actions as { id: string; alertname: string }[]).find((action) => action.alertname === alertname),
      5000,
      `a pending action for ${alertname}`,
    );
  }
  const statusOf = async (id: string) => (await agent.app.inject({ url: `/actions/${id}` })).json().status as string;

  it('a wrong DEVOPS_AGENT_TOKEN or a missing token file: exit 1 with a message naming the settings; nothing approved', async () => {
    const action = await pendingAction('WrongTokenDown');
    process.env.DEVOPS_AGENT_TOKEN = 'wrong-token-wrong-token';
    try {
      const refused = await atb('approve', action.id);
      expect(refused.exitCode).toBe(1);
      expect(refused.stderr).toContain('invalid bearer token');
      expect(refused.stderr).toContain('DEVOPS_AGENT_TOKEN');
    } finally {
      delete process.env.DEVOPS_AGENT_TOKEN;
    }
    process.env.DEVOPS_AGENT_TOKEN_FILE = join(dataDirectory, 'nowhere', 'api-token');
    try {
      const missing = await atb('reject', action.id, '--reason', 'no');
      expect(missing.exitCode).toBe(1);
      expect(missing.stderr).toContain('no devops agent token');
      expect(missing.stderr).toContain('DEVOPS_AGENT_TOKEN_FILE');
      // Reads need no token.
      expect((await atb('actions', '--status', 'pending')).stdout).toContain(action.id);
    } finally {
      delete process.env.DEVOPS_AGENT_TOKEN_FILE;
    }
    expect(await statusOf(action.id)).toBe('pending');
    expect(gateway.commandRequests()).toHaveLength(0);
  });

  it('by default reads <ATB_DATA_DIR>/devops-agent/api-token (what atb up gives the agent); approve and reject work', async () => {
    const first = await pendingAction('DefaultFileDown');
    const approved = await atb('approve', first.id);
    expect(approved, approved.stderr).toMatchObject({ exitCode: 0, stdout: expect.stringContaining('approved') });
    await eventually(() => gateway.commandRequests().length === 1, 5000, 'the approved restart');
    const second = await pendingAction('DefaultFileRejectDown');
    expect((await atb('reject', second.id, '--reason', 'not now')).exitCode).toBe(0);
    expect(await statusOf(second.id)).toBe('rejected');

    const token = readFileSync(join(dataDirectory, 'devops-agent', 'api-token'), 'utf8').trim();
    const principal = tokenPrincipal(token);
    const audit = (await agent.app.inject({ url: `/audit?actor=${encodeURIComponent(principal)}` })).json().records as { action: string; data: { principal: { name: string } } }[];
    expect(audit.map((record) => [record.action, record.data.principal.name])).toEqual([
      ['action-approved', principal],
      ['action-rejected', principal],
    ]);
    expect(JSON.stringify(audit)).not.toContain(token);
  });

  it("with a person's token (atb token create) the audit records that person, not a typed name", async () => {
    const issued = await agent.app.inject({
      method: 'POST',
      url: '/tokens',
      headers: { authorization: `Bearer ${readFileSync(join(dataDirectory, 'devops-agent', 'api-token'), 'utf8').trim()}` },
      payload: { name: 'alice', role: 'operator' },
    });
    process.env.DEVOPS_AGENT_TOKEN = (issued.json() as { token: string }).token;
    try {
      const action = await pendingAction('PersonTokenDown');
      const approved = await atb('approve', action.id, '--reason', 'mine');
      expect(approved, approved.stderr).toMatchObject({ exitCode: 0, stdout: expect.stringContaining('by alice') });
    } finally {
      delete process.env.DEVOPS_AGENT_TOKEN;
    }
    const audit = (await agent.app.inject({ url: '/audit?action=action-approved&actor=alice' })).json().records as { data: { principal: { name: string; role: string } } }[];
    expect(audit).toHaveLength(1);
    expect(audit[0]!.data.principal).toMatchObject({ name: 'alice', role: 'operator' });
  });
});
