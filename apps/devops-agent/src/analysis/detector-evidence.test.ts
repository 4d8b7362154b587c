import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { StoredAlert } from '../store/agent-store.js';
import { healthEvidence } from './detector-evidence.js';

/** A /health endpoint that counts requests and answers healthy, or never answers while `hang` is set. */
async function target(hang: boolean) {
  const state = { hits: 0, url: '', server: undefined as unknown as Server };
  state.server = createServer((_request, response) => {
    state.hits += 1;
    if (!hang) response.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"healthy"}');
  });
  await new Promise<void>((resolve) => state.server.listen(0, '127.0.0.1', resolve));
  state.url = `http://127.0.0.1:${(state.server.address() as AddressInfo).port}/health`;
  return state;
}

const alert = (annotations: Record<string, string>, receivedAt: string, status: 'firing' | 'resolved' = 'firing'): StoredAlert => ({
  fingerprint: `f-${receivedAt}`,
  status,
  starts_at: receivedAt,
  ends_at: '0001-01-01T00:00:00Z',
  labels: { alertname: 'TargetDown', service: 'predictor' },
  annotations,
  generator_url: '',
  alertname: 'TargetDown',
  service: 'predictor',
  severity: 'critical',
  incident_id: 'incident-1',
  received_at: receivedAt,
  updated_at: receivedAt,
});

describe('the health evidence of an analysis', () => {
  const servers: Server[] = [];
  afterEach(() => {
    for (const server of servers.splice(0)) {
      server.closeAllConnections();
      server.close();
    }
  });

  it("uses the polling detector's probe and asks the target nothing", async () => {
    const served = await target(false);
    servers.push(served.server);
    const probe = JSON.stringify({ reachable: false, response_time_ms: 10_000, error: 'no answer within 10000 ms' });
    const alerts = [alert({ probe: JSON.stringify({ reachable: true, response_time_ms: 3 }) }, '2026-12-06T10:00:00Z', 'resolved'), alert({ probe }, '2026-12-06T10:01:00Z')];
    const health = await healthEvidence({ HEALTH_RECHECK_TIMEOUT: 2 }, { url: served.url, timeout_seconds: 10 }, alerts);
    expect(health).toEqual({ reachable: false, response_time_ms: 10_000, error: 'no answer within 10000 ms' });
    expect(served.hits).toBe(0);
  });

  it("uses a container event's death (exit code or OOM kill) and asks the target nothing", async () => {
    const served = await target(false);
    servers.push(served.server);
    const died = alert({ event: JSON.stringify({ type: 'container-oom', time: '2026-12-06T10:02:00Z' }) }, '2026-12-06T10:02:00Z');
    expect(await healthEvidence({ HEALTH_RECHECK_TIMEOUT: 2 }, { url: served.url, timeout_seconds: 10 }, [died])).toEqual({
      reachable: false,
      error: 'the container was OOM-killed at 2026-12-06T10:02:00Z',
    });
    const exited = alert({ event: JSON.stringify({ type: 'container-died', exit_code: 137, time: '2026-12-06T10:03:00Z' }) }, '2026-12-06T10:03:00Z');
    expect((await healthEvidence({ HEALTH_RECHECK_TIMEOUT: 2 }, { url: served.url, timeout_seconds: 10 }, [exited]))?.error).toBe(
      'the container died with exit code 137 at 2026-12-06T10:03:00Z',
    );
    expect(served.hits).toBe(0);
  });

  it('without detector evidence, confirms a hang with one check bounded by HEALTH_RECHECK_TIMEOUT, not the full health timeout', async () => {
    const hung = await target(true);
    servers.push(hung.server);
    const fromAlertmanager = alert({ summary: 'the predictor is down' }, '2026-12-06T10:04:00Z');
    const health = await healthEvidence({ HEALTH_RECHECK_TIMEOUT: 0.3 }, { url: hung.url, timeout_seconds: 10 }, [fromAlertmanager]);
    expect(health).toMatchObject({ reachable: false, error: 'no answer within 300 ms' });
    expect(hung.hits).toBe(1);
    // A service without a health check gets none.
    expect(await healthEvidence({ HEALTH_RECHECK_TIMEOUT: 0.3 }, undefined, [fromAlertmanager])).toBeUndefined();
  });
});
