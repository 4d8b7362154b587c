import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildMarketPredictor, type MarketPredictor, readConfig } from '../src/index.js';

const json = { 'content-type': 'application/json' };

describe('market-predictor API (in-process)', () => {
  let service: MarketPredictor;

  beforeAll(async () => {
    service = await buildMarketPredictor(readConfig({ PREDICTION_HISTORY_SIZE: '3' }), { logger: false });
  });
  afterAll(async () => {
    await service.close();
  });

  const predict = (payload: unknown) => service.app.inject({ method: 'POST', url: '/predict', payload: payload as object });
  const predictRaw = (body: string) => service.app.inject({ method: 'POST', url: '/predict', payload: body, headers: json });

  it('predicts from a price series', async () => {
    // The method itself is checked against hand-computed values in src/prediction; here
    // y = 10, 11, 12, 13 with the default spans (fast 5 → α = 1/3, lag steps 2):
    // Eᶠ: 10 → 10 + (11−10)/3 = 10.333… → 10.333… + (12 − 10.333…)/3 = 10.888… → 10.888… + (13 − 10.888…)/3 = 11.592593
    // b = 1 → p̂ = 11.592593 + 1·(1 + 2) = 14.592593 → up; coverage 3/49, R² 1, agreement 1 → 0.0612
    const response = await predict({ symbol: 'AAPL', prices: [10, 11, 12, 13] });
    expect(response.statusCode).toBe(200);
    const body = response.json();
    expect(body).toMatchObject({ symbol: 'AAPL', direction: 'up', confidence: 0.0612, model: 'ema-ols-trend-v1', horizon: 1 });
    expect(body.predicted_price).toBeCloseTo(14.592593, 6);
    expect(new Date(body.generated_at).getTime()).not.toBeNaN();
  });

  it('accepts 10,000 prices and a horizon', async () => {
    const prices = Array.from({ length: 10_000 }, (_, index) => 100 + Math.sin(index / 50) * 5 + index * 0.001234567);
    const response = await predict({ symbol: 'BTC-USD', prices, horizon: 5 });
    expect(response.statusCode).toBe(200);
    expect(response.json().horizon).toBe(5);
  });

  describe('rejects bad input naming the field', () => {
    const cases: [string, unknown, number, string][] = [
      ['missing prices', { symbol: 'AAPL' }, 422, 'body.prices'],
      ['non-numeric prices', { symbol: 'AAPL', prices: [1, 'two', 3] }, 422, 'body.prices.1'],
      ['the string "NaN"', { symbol: 'AAPL', prices: [1, 'NaN'] }, 422, 'body.prices.1'],
      ['prices not an array', { symbol: 'AAPL', prices: '1,2,3' }, 422, 'body.prices'],
      ['one price', { symbol: 'AAPL', prices: [1] }, 422, 'body.prices'],
      ['no prices', { symbol: 'AAPL', prices: [] }, 422, 'body.prices'],
      ['a zero price', { symbol: 'AAPL', prices: [1, 0] }, 422, 'body.prices.1'],
      ['a negative price', { symbol: 'AAPL', prices: [-1, 2] }, 422, 'body.prices.0'],
      ['a price above 1e12', { symbol: 'AAPL', prices: [1, 2, 1e200] }, 422, 'body.prices.2'],
      ['10,001 prices', { symbol: 'AAPL', prices: Array.from({ length: 10_001 }, () => 1) }, 422, 'body.prices'],
      ['missing symbol', { prices: [1, 2] }, 422, 'body.symbol'],
      ['lower-case symbol', { symbol: 'aapl', prices: [1, 2] }, 422, 'body.symbol'],
      ['symbol with a space', { symbol: 'AA PL', prices: [1, 2] }, 422, 'body.symbol'],
      ['empty symbol', { symbol: '', prices: [1, 2] }, 422, 'body.symbol'],
      ['symbol of 21 characters', { symbol: 'A'.repeat(21), prices: [1, 2] }, 422, 'body.symbol'],
      ['numeric symbol type', { symbol: 42, prices: [1, 2] }, 422, 'body.symbol'],
      ['fractional horizon', { symbol: 'AAPL', prices: [1, 2], horizon: 1.5 }, 422, 'body.horizon'],
      ['zero horizon', { symbol: 'AAPL', prices: [1, 2], horizon: 0 }, 422, 'body.horizon'],
    ];
    it.each(cases)('%s', async (_name, payload, status, field) => {
      const response = await predict(payload);
      expect(response.statusCode).toBe(status);
      expect(response.json()).toMatchObject({ error: 'validation_failed', field });
    });

    it('Infinity (1e999 in JSON parses to Infinity)', async () => {
      const response = await predictRaw('{"symbol":"AAPL","prices":[1,1e999]}');
      expect(response.statusCode).toBe(422);
      expect(response.json()).toMatchObject({ field: 'body.prices.1' });
    });

    it('a literal NaN, which is not JSON', async () => {
      const response = await predictRaw('{"symbol":"AAPL","prices":[1,NaN]}');
      expect(response.statusCode).toBe(400);
      expect(response.json()).toMatchObject({ error: 'invalid_json', field: 'body' });
    });

    it('a body over MAX_BODY_BYTES (413)', async () => {
      // 512 KiB default; 60,000 prices of ~10 characters are ~660 KB.
      const prices = Array.from({ length: 60_000 }, (_, index) => 1000 + index / 7).map((value) => value.toFixed(5));
      const response = await predictRaw(`{"symbol":"AAPL","prices":[${prices.join(',')}]}`);
      expect(response.statusCode).toBe(413);
      expect(response.json()).toMatchObject({ error: 'payload_too_large', field: 'body' });
    });

    it('a body of the wrong content type (415)', async () => {
      const response = await service.app.inject({
        method: 'POST',
        url: '/predict',
        payload: 'symbol=AAPL',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
      });
      expect(response.statusCode).toBe(415);
    });
  });

  it('lists recent predictions newest first, bounded by PREDICTION_HISTORY_SIZE', async () => {
    for (const symbol of ['R1', 'R2', 'R3', 'R4']) expect((await predict({ symbol, prices: [5, 6] })).statusCode).toBe(200);
    const all = await service.app.inject({ method: 'GET', url: '/predictions/recent' });
    expect(all.statusCode).toBe(200);
    expect(all.json()).toMatchObject({ count: 3, capacity: 3 });
    expect(all.json().predictions.map((entry: { symbol: string }) => entry.symbol)).toEqual(['R4', 'R3', 'R2']);
    const two = await service.app.inject({ method: 'GET', url: '/predictions/recent?limit=2' });
    expect(two.json().predictions.map((entry: { symbol: string }) => entry.symbol)).toEqual(['R4', 'R3']);
  });

  it.each(['abc', '0', '-1', '1.5', '10001'])('rejects limit=%s', async (limit) => {
    const response = await service.app.inject({ method: 'GET', url: `/predictions/recent?limit=${limit}` });
    expect(response.statusCode).toBe(422);
    expect(response.json()).toMatchObject({ field: 'querystring.limit' });
  });

  it('has no chaos routes unless CHAOS_ENABLED=true', async () => {
    for (const [method, url] of [
      ['POST', '/chaos/latency'],
      ['POST', '/chaos/errors'],
      ['POST', '/chaos/memory-leak'],
      ['POST', '/chaos/hang'],
      ['POST', '/chaos/crash'],
      ['DELETE', '/chaos'],
    ] as const) {
      const response = await service.app.inject({ method, url, payload: { rate: 1, ms: 1 } });
      expect(response.statusCode, `${method} ${url}`).toBe(404);
    }
    const status = (await service.app.inject({ method: 'GET', url: '/status' })).json();
    expect(status.chaos).toEqual({ enabled: false, active_faults: [] });
  });

  it('documents its routes in OpenAPI, without the chaos routes when they are off', async () => {
    const response = await service.app.inject({ method: 'GET', url: '/docs/json' });
    expect(response.statusCode).toBe(200);
    const paths = Object.keys(response.json().paths);
    expect(paths).toEqual(expect.arrayContaining(['/predict', '/predictions/recent', '/health', '/status', '/metrics']));
    expect(paths.filter((path) => path.startsWith('/chaos'))).toEqual([]);
    expect(response.json().paths['/predict'].post.requestBody.content['application/json'].schema.required).toEqual([
      'symbol',
      'prices',
    ]);
  });

  it('reports healthy with no faults, and counts requests and predictions in /status', async () => {
    const health = await service.app.inject({ method: 'GET', url: '/health' });
    expect(health.statusCode).toBe(200);
    expect(health.json()).toMatchObject({ status: 'healthy', active_faults: [], service: 'market-predictor' });
    const status = (await service.app.inject({ method: 'GET', url: '/status' })).json();
    expect(status.version).toMatch(/^\d+\.\d+\.\d+/);
    expect(status.uptime_seconds).toBeGreaterThanOrEqual(0);
    expect(status.predictions.total).toBe(6);
    expect(status.requests.by_route['/predict']).toBeGreaterThanOrEqual(6);
    expect(status.requests.total).toBeGreaterThan(status.requests.by_route['/predict']);
  });
});

describe('market-predictor configuration', () => {
  it('names the variable when a value is bad', () => {
    expect(() => readConfig({ CHAOS_ENABLED: 'perhaps' })).toThrow(/CHAOS_ENABLED/);
    expect(() => readConfig({ PREDICTION_WINDOW: '1' })).toThrow(/PREDICTION_WINDOW/);
    expect(readConfig({}).CHAOS_ENABLED).toBe(false);
  });
});
