import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildMarketPredictor, type MarketPredictor, readConfig } from '../src/index.js';
import { parseExposition, sampleValue } from './prometheus-exposition.js';

describe('GET /metrics', () => {
  let service: MarketPredictor;
  let families: ReturnType<typeof parseExposition>;

  beforeAll(async () => {
    service = await buildMarketPredictor(readConfig({}), { logger: false });
    // 3 up, 2 down, 1 flat, 2 rejected: y rising, falling, constant (see src/prediction tests)
    const requests = [
      [10, 11, 12],
      [1, 2, 3],
      [5, 9],
      [12, 11, 10],
      [9, 5],
      [7, 7, 7],
      [1],
      'x',
    ];
    for (const prices of requests) {
      await service.app.inject({ method: 'POST', url: '/predict', payload: { symbol: 'AAPL', prices } });
    }
    const response = await service.app.inject({ method: 'GET', url: '/metrics' });
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
    families = parseExposition(response.body);
  });
  afterAll(async () => {
    await service.close();
  });

  it('parses as Prometheus exposition with a TYPE for every family', () => {
    expect(families.size).toBeGreaterThan(10);
    for (const family of families.values()) expect(family.type, family.name).not.toBe('untyped');
    expect(families.get('predictor_predictions_total')?.type).toBe('counter');
    expect(families.get('http_request_duration_seconds')?.type).toBe('histogram');
    expect(families.get('predictor_chaos_fault_active')?.type).toBe('gauge');
  });

  it('counts predictions by direction and errors by kind', () => {
    // [5, 9]: b = 4, Eᶠ = 5 + 4/3 = 6.33, p̂ = 6.33 + 4·3 = 18.33 → up (the third up)
    expect(sampleValue(families, 'predictor_predictions_total', { direction: 'up' })).toBe(3);
    expect(sampleValue(families, 'predictor_predictions_total', { direction: 'down' })).toBe(2);
    expect(sampleValue(families, 'predictor_predictions_total', { direction: 'flat' })).toBe(1);
    expect(
      (families.get('predictor_predictions_total')?.samples ?? []).reduce((sum, sample) => sum + sample.value, 0),
    ).toBe(6);
    expect(sampleValue(families, 'predictor_prediction_errors_total', { kind: 'invalid_input' })).toBe(2);
    expect(sampleValue(families, 'predictor_prediction_errors_total', { kind: 'server_error' })).toBe(0);
  });

  it('counts requests and observes their duration by route and status', () => {
    const ok = { method: 'POST', route: '/predict', status_code: '200', service: 'market-predictor' };
    const rejected = { ...ok, status_code: '422' };
    expect(sampleValue(families, 'http_requests_total', ok)).toBe(6);
    expect(sampleValue(families, 'http_requests_total', rejected)).toBe(2);
    expect(sampleValue(families, 'http_request_duration_seconds_count', ok)).toBe(6);
    expect(sampleValue(families, 'http_request_duration_seconds_bucket', { ...ok, le: '+Inf' })).toBe(6);
    // Buckets are cumulative: never decreasing with `le`.
    const buckets = (families.get('http_request_duration_seconds')?.samples ?? [])
      .filter((sample) => sample.name.endsWith('_bucket') && sample.labels.status_code === '200' && sample.labels.route === '/predict')
      .map((sample) => sample.value);
    expect(buckets.length).toBeGreaterThan(5);
    for (let index = 1; index < buckets.length; index += 1) expect(buckets[index]).toBeGreaterThanOrEqual(buckets[index - 1] as number);
  });

  it('reports process memory and every fault gauge at 0', () => {
    expect(sampleValue(families, 'process_resident_memory_bytes')).toBeGreaterThan(1024 * 1024);
    expect(sampleValue(families, 'nodejs_heap_size_used_bytes')).toBeGreaterThan(0);
    for (const fault of ['latency', 'errors', 'memory_leak', 'hang']) {
      expect(sampleValue(families, 'predictor_chaos_fault_active', { fault })).toBe(0);
    }
    expect(sampleValue(families, 'predictor_chaos_memory_leaked_bytes')).toBe(0);
  });
});
