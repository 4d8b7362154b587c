import { Writable } from 'node:stream';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ConflictError, NotFoundError, SystemError } from '../src/errors.js';
import { createService, type Service } from '../src/server.js';

const config = { ENVIRONMENT: 'test', LOG_LEVEL: 'info', API_HOST: '127.0.0.1', API_PORT: 0 };
let service: Service | undefined;

afterEach(async () => {
  await service?.close();
  service = undefined;
});

async function build(extra: Partial<Parameters<typeof createService>[0]> = {}) {
  service = await createService({ name: 'example', version: '9.9.9', config, logger: false, ...extra });
  service.app.post(
    '/items',
    { schema: { body: z.object({ name: z.string().min(1), count: z.number().int().positive() }) } },
    async (request) => ({ created: request.body.name }),
  );
  service.app.get('/missing', async () => {
    throw new NotFoundError('item 7 does not exist', { field: 'id' });
  });
  service.app.get('/conflict', async () => {
    throw new ConflictError('already running');
  });
  service.app.get('/bug', async () => {
    throw new SystemError('database password is hunter2');
  });
  service.app.get('/crash', async () => {
    throw new TypeError('x is undefined');
  });
  return service;
}

describe('createService', () => {
  it('answers /health, /status and /metrics', async () => {
    const { app } = await build();
    const health = await app.inject({ method: 'GET', url: '/health' });
    expect(health.statusCode).toBe(200);
    expect(health.json()).toMatchObject({ status: 'healthy', service: 'example', version: '9.9.9' });
    const status = await app.inject({ method: 'GET', url: '/status' });
    expect(status.json()).toMatchObject({ service: 'example', version: '9.9.9', environment: 'test' });
    const metrics = await app.inject({ method: 'GET', url: '/metrics' });
    expect(metrics.headers['content-type']).toContain('text/plain');
    expect(metrics.body).toContain('process_resident_memory_bytes');
    expect(metrics.body).toMatch(/http_requests_total\{method="GET",route="\/health",status_code="200",service="example"\} 1/);
    expect(metrics.body).toContain('http_request_duration_seconds_bucket');
  });

  it('reports the worst health check, with 503 when unhealthy', async () => {
    const { app } = await build({
      health: () => ({ status: 'healthy', checks: { database: { status: 'unhealthy', message: 'down' } } }),
    });
    const response = await app.inject({ method: 'GET', url: '/health' });
    expect(response.statusCode).toBe(503);
    expect(response.json()).toMatchObject({ status: 'unhealthy', checks: { database: { status: 'unhealthy' } } });
  });

  it('names the field of a schema violation with 422', async () => {
    const { app } = await build();
    const response = await app.inject({ method: 'POST', url: '/items', payload: { name: 'a', count: -1 } });
    expect(response.statusCode).toBe(422);
    expect(response.json()).toMatchObject({ error: 'validation_failed', field: 'body.count' });
    const missing = await app.inject({ method: 'POST', url: '/items', payload: { count: 1 } });
    expect(missing.json().field).toBe('body.name');
  });

  it('answers 400 for malformed JSON and 413 for an oversize body', async () => {
    const { app } = await build({ bodyLimit: 100 });
    const malformed = await app.inject({
      method: 'POST',
      url: '/items',
      headers: { 'content-type': 'application/json' },
      payload: '{"name": ',
    });
    expect(malformed.statusCode).toBe(400);
    expect(malformed.json()).toMatchObject({ error: 'invalid_json', field: 'body' });
    const large = await app.inject({ method: 'POST', url: '/items', payload: { name: 'x'.repeat(200), count: 1 } });
    expect(large.statusCode).toBe(413);
    expect(large.json()).toMatchObject({ error: 'payload_too_large' });
  });

  it('maps error classes to statuses and hides 5xx details', async () => {
    const { app } = await build();
    expect((await app.inject({ url: '/missing' })).json()).toMatchObject({ error: 'not_found', field: 'id' });
    expect((await app.inject({ url: '/conflict' })).statusCode).toBe(409);
    const bug = await app.inject({ url: '/bug' });
    expect(bug.statusCode).toBe(500);
    expect(bug.body).not.toContain('hunter2');
    const crash = await app.inject({ url: '/crash' });
    expect(crash.statusCode).toBe(500);
    expect(crash.json()).toMatchObject({ error: 'internal_error', message: 'internal error' });
    expect((await app.inject({ url: '/nowhere' })).statusCode).toBe(404);
  });

  it('echoes a caller request id and generates one otherwise', async () => {
    const { app } = await build();
    const given = await app.inject({ url: '/health', headers: { 'x-request-id': 'trace-123' } });
    expect(given.headers['x-request-id']).toBe('trace-123');
    const hostile = await app.inject({ url: '/health', headers: { 'x-request-id': 'bad id\nwith newline' } });
    expect(hostile.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('serves OpenAPI generated from the zod schemas, and the UI from local assets', async () => {
    const { app } = await build();
    const document = (await app.inject({ url: '/docs/json' })).json();
    expect(document.paths['/items'].post.requestBody.content['application/json'].schema.required).toEqual(['name', 'count']);
    const page = await app.inject({ url: '/docs' });
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('swagger');
    const script = await app.inject({ url: '/docs/static/swagger-ui-bundle.js' });
    expect(script.statusCode).toBe(200);
  });

  it('redacts secrets from log lines', async () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk, _encoding, callback) {
        lines.push(String(chunk));
        callback();
      },
    });
    const logger = pino({ redact: { paths: ['req.headers.authorization', 'token', '*.password'], censor: '[redacted]' } }, sink);
    logger.info({ token: 'sk-live-1', user: { password: 'hunter2' } }, 'login');
    expect(lines.join('')).not.toMatch(/sk-live-1|hunter2/);
    // The service's own logger options redact the same way.
    const { loggerOptions } = await import('../src/logger.js');
    const serviceLines: string[] = [];
    const serviceSink = new Writable({
      write(chunk, _encoding, callback) {
        serviceLines.push(String(chunk));
        callback();
      },
    });
    pino(loggerOptions('info', 'x'), serviceSink).info(
      { req: { headers: { authorization: 'Bearer abc.def' } }, apiKey: 'k-1', nested: { token: 't-1' } },
      'call',
    );
    expect(serviceLines.join('')).not.toMatch(/abc\.def|k-1|t-1/);
  });

  it('finishes in-flight requests on close and runs cleanups', async () => {
    const built = await build();
    let cleaned = false;
    built.onClose(() => {
      cleaned = true;
    });
    let started: () => void = () => {};
    const inFlight = new Promise<void>((resolve) => {
      started = resolve;
    });
    built.app.get('/slow', async () => {
      started();
      await new Promise((resolve) => setTimeout(resolve, 300));
      return { done: true };
    });
    const url = await built.listen();
    const pending = fetch(`${url}/slow`).then((response) => response.json());
    await inFlight;
    await built.close();
    service = undefined;
    expect(await pending).toEqual({ done: true });
    expect(cleaned).toBe(true);
    await expect(fetch(`${url}/health`)).rejects.toThrow();
  });
});
