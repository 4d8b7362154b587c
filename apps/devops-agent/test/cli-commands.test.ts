import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { AGENT_TOKEN, alert, eventually, notification, RealGateway, startAgent } from './support/agent-harness.js';
import { runAtb } from './support/run-atb.js';
import { tokenPrincipal } from '../src/auth/api-token.js';

/** `atb incidents`, `atb actions`, `atb approve`, `atb reject`, `atb audit verify` against a live agent over a real socket. */
describe('atb commands for the devops agent', () => {
  let started: Awaited<ReturnType<typeof startAgent>>;
  let gateway: RealGateway;
  let url: string;
  const previous = process.env.DEVOPS_AGENT_URL;
  const previousToken = process.env.DEVOPS_AGENT_TOKEN;

  beforeAll(async () => {
    gateway = new RealGateway({ targets: ['market-predictor', 'other-service'] });
    await gateway.start();
    started = await startAgent({ AI_COMMAND_GATEWAY_URL: gateway.url });
    url = await started.agent.listen();
    process.env.DEVOPS_AGENT_URL = url;
    process.env.DEVOPS_AGENT_TOKEN = AGENT_TOKEN;
  });
  afterAll(async () => {
    if (previous === undefined) delete process.env.DEVOPS_AGENT_URL;
    else process.env.DEVOPS_AGENT_URL = previous;
    if (previousToken === undefined) delete process.env.DEVOPS_AGENT_TOKEN;
    else process.env.DEVOPS_AGENT_TOKEN = previousToken;
    await started.close();
    await gateway.stop();
  });
  afterEach(() => {
    process.exitCode = undefined;
    vi.restoreAllMocks();
  });

  const atb = runAtb;

  const post = (alerts: ReturnType<typeof alert>[]) =>
    fetch(`${url}/webhook/alerts`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(notification(alerts)) });

  it('lists incidents and pending actions, approves one, rejects another, verifies the audit chain', async () => {
    await post([alert({ alertname: 'MarketPredictorDown', service: 'market-predictor' })]);
    await post([alert({ alertname: 'MarketPredictorHung', service: 'other-service' })]);
    await eventually(async () => ((await (await fetch(`${url}/actions?status=pending`)).json()) as { count: number }).count === 2, 5000, 'two pending actions');

    const incidents = await atb('incidents', '--json');
    expect(JSON.parse(incidents.stdout)).toHaveLength(2);
    expect((await atb('incidents')).stdout).toContain('awaiting_approval');

    const pending = JSON.parse((await atb('actions', '--status', 'pending', '--json')).stdout) as { id: string; target: string }[];
    expect(pending).toHaveLength(2);
    // Both were created in the same instant, so the list's order between them is arbitrary: the
    // market-predictor's (the service with a health check, so its evidence has a health line) is
    // the one rejected and shown below.
    expect(pending.map((action) => action.target).sort()).toEqual(['market-predictor', 'other-service']);
    const [first, second] = [...pending].sort((a, b) => Number(a.target === 'market-predictor') - Number(b.target === 'market-predictor'));
    expect((await atb('actions', '--status', 'pending')).stdout).toContain('safety mode');

    const approved = await atb('approve', first!.id, '--reason', 'go');
    expect(approved).toMatchObject({ exitCode: 0, stdout: expect.stringContaining('approved') });
    await eventually(() => gateway.commandRequests().length === 1, 5000, 'the approved action to run');

    const twice = await atb('approve', first!.id);
    expect(twice.exitCode).toBe(1);
    expect(twice.stderr).toMatch(/not pending/);

    expect((await atb('reject', second!.id, '--reason', 'not now')).stdout).toContain('rejected');
    const shown = (await atb('incident', (second as unknown as { incident_id: string }).incident_id)).stdout;
    expect(shown).toContain('incident-escalated');
    expect(shown).toMatch(/evidence \(\d+ ms of 8000 ms\): .*process-running/);
    expect(shown).toContain('  health refused (connect ECONNREFUSED');

    const verified = await atb('audit', 'verify', '--service', 'devops-agent');
    expect(verified).toMatchObject({ exitCode: 0, stdout: expect.stringContaining('valid') });
    expect((await atb('audit', 'list', '--action', 'action-approved')).stdout).toContain(tokenPrincipal(AGENT_TOKEN));
  });

  it('says clearly when the agent is unreachable', async () => {
    process.env.DEVOPS_AGENT_URL = 'http://127.0.0.1:9';
    try {
      const result = await atb('actions');
      expect(result.exitCode).toBe(1);
      expect(result.stderr).toMatch(/unreachable/);
    } finally {
      process.env.DEVOPS_AGENT_URL = url;
    }
  });
  it('atb monitoring start|status|cycle|stop drives the polling mode with the token', async () => {
    const plain = (text: string) => text.replace(/\u001b\[[0-9;]*m/g, '');
    const started = await atb('monitoring', 'start');
    expect(started.exitCode).toBe(0);
    expect(plain(started.stdout)).toMatch(/^monitoring http/);
    const cycle = await atb('monitoring', 'cycle', '--json');
    expect(cycle.exitCode).toBe(0);
    const status = JSON.parse((await atb('monitoring', 'status', '--json')).stdout) as { monitoring_active: boolean; cycles: number };
    expect(status.monitoring_active).toBe(true);
    expect(status.cycles).toBeGreaterThanOrEqual(1);
    expect(plain((await atb('monitoring', 'stop')).stdout)).toMatch(/^not monitoring/);
    // Without the token the agent refuses, and the CLI says which variable to set.
    process.env.DEVOPS_AGENT_TOKEN = 'wrong-token-0123456789abcdef';
    try {
      const refused = await atb('monitoring', 'start');
      expect(refused.exitCode).toBe(1);
      expect(refused.stderr).toMatch(/DEVOPS_AGENT_TOKEN/);
      expect(((await (await fetch(`${url}/monitoring/status`)).json()) as { monitoring_active: boolean }).monitoring_active).toBe(false);
    } finally {
      process.env.DEVOPS_AGENT_TOKEN = AGENT_TOKEN;
    }
  });
});
