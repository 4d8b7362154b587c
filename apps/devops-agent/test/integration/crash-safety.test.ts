import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { alert, eventually, notification } from '../support/agent-harness.js';
import { FakeTarget } from '../support/fake-target.js';
import { ScriptedGateway } from '../support/scripted-gateway.js';

const main = fileURLToPath(new URL('../../src/main.ts', import.meta.url));

/** Runs the real agent (src/main.ts) as a child process; resolves with its URL once it listens. */
function startAgentProcess(environment: Record<string, string>): { child: ChildProcess; url: Promise<string>; output: () => string } {
  const child = spawn(process.execPath, ['--conditions=@atb/source', '--import', 'tsx', main], {
    env: { ...process.env, API_PORT: '0', LOG_LEVEL: 'info', ...environment },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk) => {
    output += String(chunk);
  });
  child.stderr?.on('data', (chunk) => {
    output += String(chunk);
  });
  const url = eventually(
    () => {
      if (child.exitCode !== null) throw new Error(`agent exited early: ${output}`);
      return /"url":"(http:\/\/[^"]+)"/.exec(output)?.[1];
    },
    30_000,
    'the agent to listen',
  );
  return { child, url, output: () => output };
}

describe('crash safety: SIGKILL between accepting an alert and finishing its action', () => {
  const children: ChildProcess[] = [];
  let gateway: ScriptedGateway;
  let target: FakeTarget;
  let directory: string;

  beforeAll(async () => {
    gateway = new ScriptedGateway();
    await gateway.start();
    target = new FakeTarget();
    await target.start();
    directory = mkdtempSync(join(tmpdir(), 'devops-agent-crash-'));
  });
  afterAll(async () => {
    for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
    await gateway.stop();
    await target.stop();
    rmSync(directory, { recursive: true, force: true });
  });

  it('loses nothing accepted and runs no action twice', async () => {
    const environment = {
      DATA_DIR: directory,
      SAFETY_MODE: 'false',
      ACTION_COOLDOWN: '0',
      AI_COMMAND_GATEWAY_URL: gateway.url,
      AI_COMMAND_GATEWAY_TOKEN: 'crash-test',
      AI_COMMAND_GATEWAY_TIMEOUT: '60',
      MARKET_PREDICTOR_URL: target.url,
      HEALTH_CHECK_TIMEOUT: '1',
      VERIFICATION_INTERVAL: '0.1',
      VERIFICATION_WINDOW: '30',
    };
    target.mode = 'down';
    // The first execution hangs: the gateway executes it but never answers.
    gateway.queue({ kind: 'hang' });
    const first = startAgentProcess(environment);
    children.push(first.child);
    const url = await first.url;
    const post = (alerts: ReturnType<typeof alert>[]) =>
      fetch(`${url}/webhook/alerts`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(notification(alerts)) });

    const down = alert({ alertname: 'MarketPredictorDown', service: 'market-predictor', severity: 'critical' }, { fingerprint: 'crash-down' });
    expect((await post([down])).status).toBe(200);
    await eventually(() => gateway.requests.length === 1, 15_000, 'the hanging gateway request');
    // More accepted work that the dying process has no time to touch.
    const batch = Array.from({ length: 50 }, (_, index) => alert({ alertname: 'MarketPredictorHung', service: 'market-predictor', pod: String(index) }, { fingerprint: `crash-hung-${index}` }));
    const accepted = await post(batch);
    expect(accepted.status).toBe(200);
    first.child.kill('SIGKILL');
    await new Promise((resolve) => first.child.once('exit', resolve));

    // The restarted agent resumes: the hanging action is re-sent with the same idempotency key.
    gateway.onExecute = () => {
      target.mode = 'healthy';
    };
    const second = startAgentProcess(environment);
    children.push(second.child);
    const restartedUrl = await second.url;
    const get = async (path: string) => (await fetch(`${restartedUrl}${path}`)).json() as Promise<Record<string, unknown>>;

    const incidents = (await get('/incidents?limit=100')).incidents as { id: string; alertname: string }[];
    expect(incidents.map((incident) => incident.alertname).sort()).toEqual(['MarketPredictorDown', 'MarketPredictorHung']);
    const hung = incidents.find((incident) => incident.alertname === 'MarketPredictorHung')!;
    expect(((await get(`/incidents/${hung.id}`)).alerts as unknown[]).length).toBe(50);

    const downIncident = incidents.find((incident) => incident.alertname === 'MarketPredictorDown')!;
    const action = await eventually(async () => {
      const detail = await get(`/incidents/${downIncident.id}`);
      const [found] = detail.actions as { status: string; effective: boolean | null; idempotency_key: string }[];
      return found?.status === 'succeeded' ? found : undefined;
    }, 20_000, 'the resumed action to finish');
    expect(gateway.requests.filter((request) => request.body.idempotency_key === action.idempotency_key).length).toBeGreaterThanOrEqual(2);
    expect(gateway.executions.get(action.idempotency_key)).toBe(1);

    // The hung incident (accepted just before the kill) is analysed after the restart too.
    await eventually(async () => {
      const detail = await get(`/incidents/${hung.id}`);
      return (detail.timeline as { type: string }[]).some((event) => event.type === 'analysis-completed');
    }, 20_000, 'the second incident to be analysed');

    await fetch(`${restartedUrl}/webhook/alerts`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(notification([{ ...down, status: 'resolved' }, ...batch.map((entry) => ({ ...entry, status: 'resolved' as const }))])),
    });
    await eventually(async () => (await get(`/incidents/${downIncident.id}`)).state === 'resolved', 20_000, 'resolution');
    for (const [key, count] of gateway.executions) expect(count, key).toBe(1);
    expect((await get('/audit/verify')).valid).toBe(true);
    second.child.kill('SIGTERM');
  }, 90_000);
});
