import { PredictorClient, UpstreamRefusedError } from '@atb/clients';
import {
  chaosAcceptedResponseSchema,
  chaosClearResponseSchema,
  errorsRequestSchema,
  faultReportSchema,
  latencyRequestSchema,
  predictionSchema,
  predictRequestSchema,
  recentPredictionsQuerySchema,
  recentPredictionsResponseSchema,
} from '@atb/contracts';
import { type ContractRoute, contractMismatches, fetchOpenApiDocument } from '@atb/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { buildMarketPredictor, type MarketPredictor, readConfig } from '../src/index.js';

/** The routes `PredictorClient` calls, with the shared schemas they must be declared with. */
const ROUTES: ContractRoute[] = [
  { method: 'get', path: '/health', responses: {} },
  { method: 'get', path: '/status', responses: {} },
  { method: 'post', path: '/predict', body: predictRequestSchema, responses: { 200: predictionSchema } },
  { method: 'get', path: '/predictions/recent', query: recentPredictionsQuerySchema, responses: { 200: recentPredictionsResponseSchema } },
  { method: 'post', path: '/chaos/latency', body: latencyRequestSchema, responses: { 200: faultReportSchema } },
  { method: 'post', path: '/chaos/errors', body: errorsRequestSchema, responses: { 200: faultReportSchema } },
  { method: 'post', path: '/chaos/memory-leak', responses: { 200: faultReportSchema } },
  { method: 'post', path: '/chaos/hang', responses: { 202: chaosAcceptedResponseSchema } },
  { method: 'post', path: '/chaos/crash', responses: { 202: chaosAcceptedResponseSchema } },
  { method: 'delete', path: '/chaos', responses: { 200: chaosClearResponseSchema } },
];

describe('predictor API contract (the real app on a socket)', () => {
  let service: MarketPredictor;
  let url: string;
  const exits: number[] = [];
  beforeAll(async () => {
    service = await buildMarketPredictor(readConfig({ API_HOST: '127.0.0.1', API_PORT: '0', CHAOS_ENABLED: 'true', CHAOS_MAX_LEAK_MB: '64', LOG_LEVEL: 'silent' }), {
      logger: false,
      faults: { exit: (code) => exits.push(code) },
    });
    url = await service.listen();
  });
  afterAll(async () => service?.close());

  it('serves every route the client calls, with the schemas generated from the shared ones', async () => {
    const document = await fetchOpenApiDocument(url);
    expect(contractMismatches(document, ROUTES)).toEqual([]);
    // The comparison can fail: a schema that is not the route's is reported.
    const wrong = contractMismatches(document, [{ method: 'post', path: '/predict', responses: { 200: z.object({ price: z.number() }) } }]);
    expect(wrong).toEqual([expect.stringContaining('POST /predict 200')]);
    expect(contractMismatches(document, [{ method: 'get', path: '/nowhere', responses: {} }])).toEqual(['GET /nowhere: not in the OpenAPI document']);
  });

  it('round-trips every client call', async () => {
    const client = new PredictorClient({ baseUrl: url });
    expect((await client.health()).status).toBe('healthy');
    expect((await client.status()).service).toBe('market-predictor');
    const prediction = await client.predict({ symbol: 'AAPL', prices: [100, 101, 102, 103] });
    expect(prediction).toMatchObject({ symbol: 'AAPL', horizon: 1 });
    expect((await client.recentPredictions(5)).predictions[0]).toEqual(prediction);
    expect((await client.injectLatency({ ms: 1, probability: 1 })).active_faults).toContain('latency');
    expect((await client.injectErrors({ rate: 0.01 })).active_faults).toContain('errors');
    expect((await client.startMemoryLeak({ mb_per_second: 1, max_mb: 1 })).memory_leak).toMatchObject({ max_mb: 1 });
    expect((await client.clearFaults()).cleared).toEqual(expect.arrayContaining(['latency', 'errors', 'memory_leak']));
    expect(await client.crash({ delay_ms: 0 })).toMatchObject({ accepted: true, fault: 'crash', exit_code: 70 });
    const refused = await client.predict({ symbol: 'AAPL', prices: [1] }).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(UpstreamRefusedError);
    expect(refused).toMatchObject({ code: 'upstream_refused', status: 422, field: 'body.prices' });
    await expect.poll(() => exits).toEqual([70]);
  });
});
