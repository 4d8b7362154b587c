import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ZERO_TIME } from '@atb/contracts';
import { buildDevopsAgent, type DevopsAgentService } from '../../src/app.js';
import { readConfig } from '../../src/config.js';
import { GATEWAY_TOKEN } from './real-gateway.js';

export { GATEWAY_TOKEN, RealGateway } from './real-gateway.js';

/** The API token `startAgent` configures (AGENT_API_TOKEN). */
export const AGENT_TOKEN = 'test-agent-api-token-0123456789';

/** Headers that authenticate a request to the agent's state-changing routes. */
export const AUTHORIZED = { authorization: `Bearer ${AGENT_TOKEN}` };

/**
 * Builds an agent on a fresh SQLite file with quiet logs; `environment` overrides settings. Its
 * gateway token is {@link GATEWAY_TOKEN}, which a {@link RealGateway} (the real gateway app, for
 * every test of the loop) and a `ScriptedGateway` (only for failures on cue) accept by default.
 */
export async function startAgent(environment: Record<string, string> = {}): Promise<{ agent: DevopsAgentService; directory: string; close(): Promise<void> }> {
  const directory = mkdtempSync(join(tmpdir(), 'devops-agent-test-'));
  const config = readConfig({
    API_PORT: '0',
    LOG_LEVEL: 'silent',
    DATA_DIR: directory,
    AI_COMMAND_GATEWAY_TOKEN: GATEWAY_TOKEN,
    AGENT_API_TOKEN: AGENT_TOKEN,
    AI_COMMAND_GATEWAY_TIMEOUT: '2',
    VERIFICATION_INTERVAL: '0.05',
    VERIFICATION_WINDOW: '2',
    HEALTH_CHECK_TIMEOUT: '0.5',
    ...environment,
  });
  const agent = await buildDevopsAgent(config, { logger: false });
  return {
    agent,
    directory,
    async close() {
      await agent.close();
      rmSync(directory, { recursive: true, force: true });
    },
  };
}

let counter = 0;

/** An Alertmanager v4 alert. */
export function alert(
  labels: Record<string, string>,
  options: { status?: 'firing' | 'resolved'; fingerprint?: string; startsAt?: string; annotations?: Record<string, string> } = {},
) {
  counter += 1;
  const status = options.status ?? 'firing';
  return {
    status,
    labels,
    annotations: options.annotations ?? { summary: `${labels.alertname ?? 'alert'} fired` },
    startsAt: options.startsAt ?? '2026-01-01T00:00:00Z',
    endsAt: status === 'resolved' ? '2026-01-01T00:05:00Z' : ZERO_TIME,
    generatorURL: 'http://prometheus.local/graph',
    fingerprint: options.fingerprint ?? `fp${counter.toString(16).padStart(8, '0')}`,
  };
}

/** An Alertmanager v4 notification. */
export function notification(alerts: ReturnType<typeof alert>[], extra: Record<string, unknown> = {}) {
  const status = alerts.some((entry) => entry.status === 'firing') ? 'firing' : 'resolved';
  return {
    version: '4',
    groupKey: '{}:{alertname="x"}',
    truncatedAlerts: 0,
    status,
    receiver: 'devops-agent',
    groupLabels: {},
    commonLabels: {},
    commonAnnotations: {},
    externalURL: 'http://alertmanager.local',
    alerts,
    ...extra,
  };
}

/** Polls `check` until it returns a value (not undefined/false) or the time runs out. */
export async function eventually<T>(check: () => Promise<T | undefined | false> | T | undefined | false, timeoutMs = 10_000, what = 'condition'): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await check();
      if (value !== undefined && value !== false) return value;
    } catch (error) {
      last = error;
    }
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
}

/** Issues a per-principal token through the agent's own `POST /tokens` (as the bootstrap admin); returns the token. */
export async function issueToken(agent: DevopsAgentService, payload: { name: string; role: 'viewer' | 'operator' | 'admin'; expires_in_seconds?: number }): Promise<string> {
  const response = await agent.app.inject({ method: 'POST', url: '/tokens', headers: AUTHORIZED, payload });
  if (response.statusCode !== 201) throw new Error(`POST /tokens answered ${response.statusCode}: ${response.body}`);
  return (response.json() as { token: string }).token;
}
