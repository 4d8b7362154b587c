import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { CRASH_EXIT_CODE } from '../src/chaos/fault-injector.js';
import { buildMarketPredictor, type MarketPredictor, readConfig } from '../src/index.js';
import { parseExposition, sampleValue } from './prometheus-exposition.js';

const exit = vi.fn();

describe('chaos drills (CHAOS_ENABLED=true, in-process)', () => {
  let service: MarketPredictor;

  beforeAll(async () => {
    service = await buildMarketPredictor(readConfig({ CHAOS_ENABLED: 'true', CHAOS_MAX_LEAK_MB: '64' }), {
      logger: false,
      faults: { exit },
    });
  });
  afterEach(async () => {
    await service.app.inject({ method: 'DELETE', url: '/chaos' });
  });
  afterAll(async () => {
    await service.close();
  });

  const inject = (method: 'GET' | 'POST' | 'DELETE', url: string, payload?: object) =>
    service.app.inject({ method, url, ...(payload ? { payload } : {}) });
  const predict = () => inject('POST', '/predict', { symbol: 'AAPL', prices: [1, 2, 3] });
  const metrics = async () => parseExposition((await inject('GET', '/metrics')).body);

  it('errors at rate 1 answer 500 on business routes, show in health, status and metrics, and clear', async () => {
    const set = await inject('POST', '/chaos/errors', { rate: 1 });
    expect(set.statusCode).toBe(200);
    expect(set.json()).toMatchObject({ active_faults: ['errors'], errors: { rate: 1 } });

    const failed = await predict();
    expect(failed.statusCode).toBe(500);
    expect(failed.json()).toMatchObject({ error: 'internal_error' });
    expect((await inject('GET', '/predictions/recent')).statusCode).toBe(500);

    const health = await inject('GET', '/health');
    expect(health.statusCode).toBe(200);
    expect(health.json()).toMatchObject({ status: 'degraded', active_faults: ['errors'] });
    expect((await inject('GET', '/status')).json().chaos).toMatchObject({ enabled: true, active_faults: ['errors'] });
    const during = await metrics();
    expect(sampleValue(during, 'predictor_chaos_fault_active', { fault: 'errors' })).toBe(1);
    expect(sampleValue(during, 'predictor_chaos_fault_active', { fault: 'latency' })).toBe(0);
    expect(sampleValue(during, 'predictor_prediction_errors_total', { kind: 'server_error' })).toBeGreaterThanOrEqual(1);

    const cleared = await inject('DELETE', '/chaos');
    expect(cleared.json()).toMatchObject({ cleared: ['errors'], active_faults: [] });
    expect((await predict()).statusCode).toBe(200);
    expect((await inject('GET', '/health')).json().status).toBe('healthy');
    expect(sampleValue(await metrics(), 'predictor_chaos_fault_active', { fault: 'errors' })).toBe(0);
  });

  it('errors at rate 0.5 fail some requests and not others', async () => {
    await inject('POST', '/chaos/errors', { rate: 0.5 });
    const statuses = await Promise.all(Array.from({ length: 60 }, () => predict().then((response) => response.statusCode)));
    // P(all 60 equal) = 2·0.5⁶⁰ ≈ 2e-18
    expect(statuses).toContain(500);
    expect(statuses).toContain(200);
  });

  it('latency delays business routes but not /health', async () => {
    await inject('POST', '/chaos/latency', { ms: 300 });
    const started = performance.now();
    expect((await predict()).statusCode).toBe(200);
    // Loose bound: the timer may fire a little early, never much.
    expect(performance.now() - started).toBeGreaterThanOrEqual(250);
    const health = await inject('GET', '/health');
    expect(health.json()).toMatchObject({ status: 'degraded', active_faults: ['latency'] });
    expect((await inject('GET', '/status')).json().chaos.latency).toMatchObject({ ms: 300, probability: 1 });
  });

  it('latency with probability 0 or ms 0 is no fault', async () => {
    expect((await inject('POST', '/chaos/latency', { ms: 500, probability: 0 })).json().active_faults).toEqual([]);
    expect((await inject('POST', '/chaos/latency', { ms: 0 })).json().active_faults).toEqual([]);
  });

  it('a memory leak grows the process memory and the gauge, and DELETE /chaos releases it', async () => {
    const before = process.memoryUsage().arrayBuffers;
    const started = await inject('POST', '/chaos/memory-leak', { mb_per_second: 200, max_mb: 24 });
    expect(started.statusCode).toBe(200);
    const target = 24 * 1024 * 1024;
    await vi.waitFor(() => expect(service.faults.leakedBytes).toBe(target), { timeout: 5000, interval: 50 });
    expect(process.memoryUsage().arrayBuffers - before).toBeGreaterThanOrEqual(target * 0.9);
    const during = await metrics();
    expect(sampleValue(during, 'predictor_chaos_memory_leaked_bytes')).toBe(target);
    expect(sampleValue(during, 'predictor_chaos_fault_active', { fault: 'memory_leak' })).toBe(1);
    expect((await inject('GET', '/status')).json().chaos.memory_leak).toMatchObject({ max_mb: 24, leaked_bytes: target });

    await inject('DELETE', '/chaos');
    const after = await metrics();
    expect(sampleValue(after, 'predictor_chaos_memory_leaked_bytes')).toBe(0);
    expect(sampleValue(after, 'predictor_chaos_fault_active', { fault: 'memory_leak' })).toBe(0);
  });

  it('crash answers 202 and then exits with a non-zero status', async () => {
    exit.mockClear();
    const response = await inject('POST', '/chaos/crash', { delay_ms: 0 });
    expect(response.statusCode).toBe(202);
    expect(response.json()).toMatchObject({ accepted: true, exit_code: CRASH_EXIT_CODE });
    await vi.waitFor(() => expect(exit).toHaveBeenCalledWith(CRASH_EXIT_CODE), { timeout: 2000, interval: 20 });
  });

  it('hang is accepted and then holds every request (in-process check of the flag)', async () => {
    // The real-socket behaviour (no answer, shutdown still works) is in integration/socket.test.ts.
    const response = await inject('POST', '/chaos/hang');
    expect(response.statusCode).toBe(202);
    expect(service.faults.hung).toBe(true);
    expect(service.faults.report().active_faults).toEqual(['hang']);
    service.faults.clear();
  });

  describe('rejects bad drill bodies naming the field', () => {
    const cases: [string, object, string][] = [
      ['/chaos/latency', {}, 'body.ms'],
      ['/chaos/latency', { ms: -1 }, 'body.ms'],
      ['/chaos/latency', { ms: 60_001 }, 'body.ms'],
      ['/chaos/latency', { ms: 'slow' }, 'body.ms'],
      ['/chaos/latency', { ms: 10, probability: 1.5 }, 'body.probability'],
      ['/chaos/errors', {}, 'body.rate'],
      ['/chaos/errors', { rate: -0.1 }, 'body.rate'],
      ['/chaos/errors', { rate: 2 }, 'body.rate'],
      ['/chaos/memory-leak', { max_mb: 10 }, 'body.mb_per_second'],
      ['/chaos/memory-leak', { mb_per_second: 0, max_mb: 10 }, 'body.mb_per_second'],
      ['/chaos/memory-leak', { mb_per_second: 10 }, 'body.max_mb'],
      ['/chaos/memory-leak', { mb_per_second: 10, max_mb: 65 }, 'body.max_mb'],
      ['/chaos/crash', { delay_ms: 10_001 }, 'body.delay_ms'],
    ];
    it.each(cases)('%s %j', async (url, payload, field) => {
      const response = await inject('POST', url, payload);
      expect(response.statusCode).toBe(422);
      expect(response.json()).toMatchObject({ error: 'validation_failed', field });
      expect(service.faults.activeFaults()).toEqual([]);
    });
  });
});
