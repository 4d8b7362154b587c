import { afterEach, describe, expect, it } from 'vitest';
import { ApiTokens } from '../src/api-tokens.js';
import { requireBearerToken } from '../src/bearer-auth.js';
import { requireRole } from '../src/principals.js';
import { createService, type Service } from '../src/server.js';
import { registerTokenRoutes } from '../src/token-routes.js';
import { InMemoryTokenStore } from '../src/token-store.js';

const config = { ENVIRONMENT: 'test', LOG_LEVEL: 'info', API_HOST: '127.0.0.1', API_PORT: 0 };
const BOOTSTRAP = 'the-bootstrap-token-0123456789';
let service: Service | undefined;

afterEach(async () => {
  await service?.close();
  service = undefined;
});

/** A service with the token API, one operator route and one viewer route; `clock` moves time. */
async function build() {
  const clock = { now: Date.parse('2026-01-01T00:00:00Z') };
  const tokens = new ApiTokens(new InMemoryTokenStore(), () => new Date(clock.now));
  service = await createService({ name: 'example', version: '1.0.0', config, logger: false });
  requireBearerToken(service.app, { token: BOOTSTRAP, tokens });
  registerTokenRoutes(service.app, tokens);
  service.app.post('/approve', { preHandler: requireRole('operator') }, async (request) => ({ by: request.principal?.name }));
  service.app.get('/read', { preHandler: requireRole('viewer') }, async (request) => ({ by: request.principal?.name }));
  const app = service.app;
  const as = (token: string) => ({ authorization: `Bearer ${token}` });
  const create = async (payload: Record<string, unknown>) => {
    const response = await app.inject({ method: 'POST', url: '/tokens', headers: as(BOOTSTRAP), payload });
    expect(response.statusCode, response.body).toBe(201);
    return response.json() as { id: string; token: string };
  };
  return { app, as, create, clock };
}

describe('per-principal tokens and roles', () => {
  it('issues a token once; it authenticates as its principal and the store keeps only its hash', async () => {
    const { app, as, create } = await build();
    const alice = await create({ name: 'alice', role: 'operator' });
    expect(alice.token).toMatch(/^atb_[0-9a-f]{16}_[A-Za-z0-9_-]{43}$/);
    expect((await app.inject({ method: 'POST', url: '/approve', headers: as(alice.token) })).json()).toEqual({ by: 'alice' });
    const listed = (await app.inject({ url: '/tokens', headers: as(BOOTSTRAP) })).json();
    expect(listed.tokens).toEqual([expect.objectContaining({ id: alice.id, name: 'alice', role: 'operator', kind: 'person', revoked_at: null })]);
    expect(JSON.stringify(listed)).not.toContain(alice.token.slice(22));
  });

  it('refuses a role below the one a route needs with 403 forbidden naming the role', async () => {
    const { app, as, create } = await build();
    const viewer = await create({ name: 'victor', role: 'viewer' });
    expect((await app.inject({ url: '/read', headers: as(viewer.token) })).json()).toEqual({ by: 'victor' });
    const refused = await app.inject({ method: 'POST', url: '/approve', headers: as(viewer.token) });
    expect(refused.statusCode).toBe(403);
    expect(refused.json()).toMatchObject({ error: 'forbidden', message: expect.stringContaining('operator role') });
    const operator = await create({ name: 'olga', role: 'operator' });
    const notAdmin = await app.inject({ method: 'POST', url: '/tokens', headers: as(operator.token), payload: { name: 'x', role: 'admin' } });
    expect(notAdmin.statusCode).toBe(403);
    expect(notAdmin.json().message).toContain('admin role');
  });

  it('refuses a revoked token (by id or by name) with 401', async () => {
    const { app, as, create } = await build();
    const first = await create({ name: 'alice', role: 'operator' });
    const second = await create({ name: 'alice', role: 'operator' });
    const third = await create({ name: 'bob', role: 'operator' });
    expect((await app.inject({ method: 'DELETE', url: `/tokens/${first.id}`, headers: as(BOOTSTRAP) })).statusCode).toBe(200);
    const byId = await app.inject({ method: 'POST', url: '/approve', headers: as(first.token) });
    expect(byId.statusCode).toBe(401);
    expect(byId.json()).toMatchObject({ error: 'unauthenticated', message: 'the bearer token was revoked' });
    expect((await app.inject({ method: 'POST', url: '/approve', headers: as(second.token) })).statusCode).toBe(200);
    const byName = await app.inject({ method: 'DELETE', url: '/tokens/alice', headers: as(BOOTSTRAP) });
    expect(byName.json().revoked.map((token: { id: string }) => token.id)).toEqual([second.id]);
    expect((await app.inject({ method: 'POST', url: '/approve', headers: as(second.token) })).statusCode).toBe(401);
    expect((await app.inject({ method: 'POST', url: '/approve', headers: as(third.token) })).statusCode).toBe(200);
    expect((await app.inject({ method: 'DELETE', url: '/tokens/alice', headers: as(BOOTSTRAP) })).statusCode).toBe(404);
  });

  it('refuses an expired token with 401, and works until then', async () => {
    const { app, as, create, clock } = await build();
    const temporary = await create({ name: 'temp', role: 'viewer', expires_in_seconds: 60 });
    clock.now += 59_000;
    expect((await app.inject({ url: '/read', headers: as(temporary.token) })).statusCode).toBe(200);
    clock.now += 1_000;
    const expired = await app.inject({ url: '/read', headers: as(temporary.token) });
    expect(expired.statusCode).toBe(401);
    expect(expired.json().message).toBe('the bearer token has expired');
  });

  it('refuses a token whose secret was altered, keeping the id', async () => {
    const { app, as, create } = await build();
    const alice = await create({ name: 'alice', role: 'operator' });
    const altered = `${alice.token.slice(0, -1)}${alice.token.endsWith('A') ? 'B' : 'A'}`;
    expect((await app.inject({ method: 'POST', url: '/approve', headers: as(altered) })).statusCode).toBe(401);
  });

  it('validates a token request, naming the field', async () => {
    const { app, as } = await build();
    const response = await app.inject({ method: 'POST', url: '/tokens', headers: as(BOOTSTRAP), payload: { name: 'alice', role: 'root' } });
    expect(response.statusCode).toBe(422);
    expect(response.json().field).toBe('body.role');
  });
});
