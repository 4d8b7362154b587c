import { afterEach, describe, expect, it } from 'vitest';
import { buildMarketPredictor, type MarketPredictor, readConfig } from '../../src/index.js';

/** The predictor in this process, listening on a free loopback port (API_PORT 0). */
async function listening(environment: Record<string, string> = {}) {
  const config = { ...readConfig(environment), API_HOST: '127.0.0.1', API_PORT: 0 };
  const service = await buildMarketPredictor(config, { logger: false });
  const url = await service.listen();
  return { service, url };
}

describe('market-predictor over a real socket', () => {
  let service: MarketPredictor | undefined;
  afterEach(async () => {
    await service?.close();
    service = undefined;
  });

  it('answers /predict, /health and /metrics over HTTP', async () => {
    const started = await listening();
    service = started.service;
    const response = await fetch(`${started.url}/predict`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-request-id': 'socket-test-1' },
      body: JSON.stringify({ symbol: 'MSFT', prices: [20, 18, 19, 16, 15], horizon: 2 }),
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('x-request-id')).toBe('socket-test-1');
    expect(await response.json()).toMatchObject({ symbol: 'MSFT', direction: 'down' });
    expect((await fetch(`${started.url}/health`)).status).toBe(200);
    expect(await (await fetch(`${started.url}/metrics`)).text()).toContain(
      'http_requests_total{method="POST",route="/predict",status_code="200",service="market-predictor"} 1',
    );
  });

  it('hang: no request is answered, yet close() still completes', async () => {
    const started = await listening({ CHAOS_ENABLED: 'true' });
    service = started.service;
    expect((await fetch(`${started.url}/chaos/hang`, { method: 'POST' })).status).toBe(202);

    const outcome = await fetch(`${started.url}/health`, { signal: AbortSignal.timeout(400) }).then(
      (response) => `answered ${response.status}`,
      (error: Error) => error.name,
    );
    expect(outcome).toBe('TimeoutError');
    // A second, un-aborted request stays held until close() drops it.
    const held = fetch(`${started.url}/predict`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ symbol: 'MSFT', prices: [1, 2] }),
    }).then(
      (response) => `answered ${response.status}`,
      () => 'connection dropped',
    );
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(service.faults.report().hang?.held_requests).toBeGreaterThanOrEqual(1);
    await service.close();
    service = undefined;
    expect(await held).toBe('connection dropped');
  });
});
