import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { tokenPrincipal } from '../src/api-token.js';
import { bootstrapPrincipal, isOpenRoute, requireBearerToken } from '../src/bearer-auth.js';
import { createService, type Service } from '../src/server.js';

const config = { ENVIRONMENT: 'test', LOG_LEVEL: 'info', API_HOST: '127.0.0.1', API_PORT: 0 };
const TOKEN = 'the-right-token-0123456789';
let service: Service | undefined;

afterEach(async () => {
  await service?.close();
  service = undefined;
});

/** A service with one guarded POST route that answers who called it, and one open-by-rule GET route. */
async function build(options: Omit<Parameters<typeof requireBearerToken>[1], 'token'> = {}) {
  service = await createService({ name: 'example', version: '1.0.0', config, logger: false });
  requireBearerToken(service.app, { token: TOKEN, ...options });
  let handled = 0;
  service.app.post('/things', { schema: { body: z.object({ name: z.string().min(1) }) } }, async (request) => {
    handled += 1;
    return { name: request.body.name, principal: request.principal };
  });
  service.app.get('/things', async (request) => ({ principal: request.principal ?? null }));
  return { app: service.app, handled: () => handled };
}

describe('requireBearerToken', () => {
  it('lets the right token through and gives the route its principal', async () => {
    const { app } = await build();
    const response = await app.inject({ method: 'POST', url: '/things', headers: { authorization: `Bearer ${TOKEN}` }, payload: { name: 'a' } });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({ name: 'a', principal: { id: 'bootstrap', name: tokenPrincipal(TOKEN), kind: 'person', role: 'admin' } });
  });

  it.each([
    ['no header', undefined, 'missing bearer token'],
    ['a wrong token', `Bearer ${TOKEN}x`, 'invalid bearer token'],
    ['a prefix of the token', `Bearer ${TOKEN.slice(0, -1)}`, 'invalid bearer token'],
    ['another scheme', `Basic ${TOKEN}`, 'invalid bearer token'],
    ['an empty bearer', 'Bearer ', 'invalid bearer token'],
  ])('refuses %s with 401 naming the header, before the body is read or the route runs', async (_name, authorization, message) => {
    const { app, handled } = await build();
    // The body is invalid too: 401 wins over 422, because the check runs when the request arrives.
    const response = await app.inject({ method: 'POST', url: '/things', headers: authorization ? { authorization } : {}, payload: { name: '' } });
    expect(response.statusCode).toBe(401);
    expect(response.json()).toMatchObject({ error: 'unauthenticated', field: 'headers.authorization', message: expect.stringContaining(message) });
    expect(handled()).toBe(0);
  });

  it('by default guards every path, unknown ones too, except probes, scrapes and docs', async () => {
    const { app } = await build();
    expect((await app.inject({ url: '/nowhere' })).statusCode).toBe(401);
    expect((await app.inject({ url: '/nowhere', headers: { authorization: `Bearer ${TOKEN}` } })).statusCode).toBe(404);
    for (const url of ['/health', '/status', '/metrics', '/docs/json']) expect((await app.inject({ url })).statusCode, url).toBe(200);
  });

  it('asks `requires` which requests need the token; a right token still names its principal on the others', async () => {
    const { app } = await build({ requires: (request) => request.method !== 'GET' });
    expect((await app.inject({ url: '/things' })).json()).toEqual({ principal: null });
    expect((await app.inject({ url: '/things', headers: { authorization: `Bearer ${TOKEN}` } })).json()).toEqual({ principal: bootstrapPrincipal(TOKEN) });
    expect((await app.inject({ method: 'POST', url: '/things', payload: { name: 'a' } })).statusCode).toBe(401);
  });

  it('knows the open routes by prefix, not by substring', () => {
    expect(['/health', '/health/live', '/docs', '/docs/json', '/metrics', '/status'].every(isOpenRoute)).toBe(true);
    expect(['/healthz', '/statuses', '/api/health', '/', '/documents'].some(isOpenRoute)).toBe(false);
  });
});
