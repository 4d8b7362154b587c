import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { openDatabase } from '@atb/storage';
import { describeWithComponent, probePrometheus, startPrometheus } from '@atb/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createInvestigationPorts } from '../src/analysis/investigation-ports.js';
import { readConfig } from '../src/config.js';
import { GatewayClient } from '../src/remediation/gateway-client.js';
import { openAgentStore } from '../src/store/kysely-agent-store.js';
import { GATEWAY_TOKEN } from './support/agent-harness.js';
import { FakeTarget } from './support/fake-target.js';
import { ScriptedGateway } from './support/scripted-gateway.js';

/** A local server answering Loki's `GET /loki/api/v1/query_range` like Loki does (newest first). */
async function startFakeLoki(): Promise<{ url: string; queries: URLSearchParams[]; close(): Promise<void> }> {
  const queries: URLSearchParams[] = [];
  const server: Server = createServer((request, response) => {
    const url = new URL(request.url ?? '/', 'http://loki');
    if (url.pathname !== '/loki/api/v1/query_range') {
      response.writeHead(404).end('not found');
      return;
    }
    queries.push(url.searchParams);
    response.writeHead(200, { 'content-type': 'application/json' }).end(
      JSON.stringify({
        status: 'success',
        data: {
          resultType: 'streams',
          result: [{ stream: { service: 'market-predictor' }, values: [['1700000002000000000', 'second: error'], ['1700000001000000000', 'first: error']] }],
        },
      }),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    queries,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

// The scripted gateway, not the real one: the logs port must meet a gateway `error` on cue for the
// same container that just answered. It checks the token and the contract schema like the real one.
describe('investigation ports of the agent (read-only tools of the LLM analyzer)', () => {
  const gateway = new ScriptedGateway();
  const target = new FakeTarget();
  let loki: Awaited<ReturnType<typeof startFakeLoki>>;
  const database = openDatabase<unknown>(':memory:');
  beforeAll(async () => {
    await gateway.start();
    await target.start();
    loki = await startFakeLoki();
  });
  afterAll(async () => {
    await gateway.stop();
    await target.stop();
    await loki.close();
    await database.close();
  });

  const portsFor = async (environment: Record<string, string> = {}) => {
    const config = readConfig({
      AI_COMMAND_GATEWAY_URL: gateway.url,
      AI_COMMAND_GATEWAY_TOKEN: GATEWAY_TOKEN,
      MARKET_PREDICTOR_URL: target.url,
      LOKI_URL: loki.url,
      ...environment,
    });
    const client = new GatewayClient({ baseUrl: gateway.url, sourceId: 'devops-agent', timeoutMs: 2000, attempts: 1, token: GATEWAY_TOKEN });
    return createInvestigationPorts(config, (await openAgentStore(database)).learning, client);
  };

  it('reads container logs, inspect and stats through the gateway with read-only intents', async () => {
    const ports = await portsFor();
    expect(await ports.containerLogs!('market-predictor', { tail: 50 })).toEqual({ ok: true });
    await ports.containerInspect!('market-predictor');
    await ports.containerStats!('market-predictor');
    const intents = gateway.requests.slice(-3).map((request) => (request.body.action_request as { intent: string; priority: string }));
    expect(intents.map((intent) => intent.intent)).toEqual(['show the last 50 log lines', 'inspect the container', 'show resource usage stats']);
    expect(intents.every((intent) => intent.priority === 'LOW')).toBe(true);
    gateway.queue({ kind: 'error' });
    await expect(ports.containerLogs!('market-predictor', { tail: 10 })).rejects.toThrow(/gateway error/);
  });

  it('reads LogQL from Loki, oldest line first', async () => {
    const ports = await portsFor();
    expect(await ports.lokiQuery!('{service="market-predictor"} |= "error"', { since_minutes: 15, limit: 100 })).toBe('first: error\nsecond: error');
    expect(loki.queries.at(-1)?.get('since')).toBe('15m');
  });

  it('reads the target health and status, and the store', async () => {
    const ports = await portsFor();
    target.routes.set('GET /status', () => [200, { version: '1.2.3' }]);
    const health = (await ports.serviceHealth!('market-predictor')) as { health: { status: string }; status: unknown };
    expect(health.health.status).toBe('healthy');
    expect(await ports.serviceHealth!('other')).toContain('unknown service');
    expect(await ports.pastIncidents!({ alertname: 'X', service: 'market-predictor', limit: 5 })).toEqual([]);
    expect(await ports.learningStats!({ alertname: 'X', service: 'market-predictor' })).toEqual([]);
    expect(ports.prometheusQuery).toBeUndefined();
  });
});

describeWithComponent('Prometheus', await probePrometheus(), 'install the Debian package prometheus (scripts/install-system-deps.sh)', () => {
  let prometheus: Awaited<ReturnType<typeof startPrometheus>>;
  beforeAll(async () => {
    prometheus = await startPrometheus({ configYaml: 'global:\n  scrape_interval: 15s\n' });
  });
  afterAll(async () => prometheus?.close());

  it('answers PromQL from a real Prometheus, and reports a bad query', async () => {
    const config = readConfig({ PROMETHEUS_URL: prometheus.url, AI_COMMAND_GATEWAY_TOKEN: GATEWAY_TOKEN });
    const database = openDatabase<unknown>(':memory:');
    const client = new GatewayClient({ baseUrl: 'http://127.0.0.1:9', sourceId: 'x', timeoutMs: 100, attempts: 1, token: 't' });
    const ports = createInvestigationPorts(config, (await openAgentStore(database)).learning, client);
    const data = (await ports.prometheusQuery!('vector(42)')) as { resultType: string; result: { value: [number, string] }[] };
    expect(data.resultType).toBe('vector');
    expect(data.result[0]?.value[1]).toBe('42');
    await expect(ports.prometheusQuery!('sum(')).rejects.toThrow(/400/);
    await database.close();
  });
});
