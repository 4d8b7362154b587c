import { afterEach, describe, expect, it } from 'vitest';
import { AUTHORIZED, startAgent } from './support/agent-harness.js';

describe("the agent's per-principal tokens and roles", () => {
  let close: (() => Promise<void>) | undefined;
  afterEach(async () => {
    await close?.();
    close = undefined;
  });

  it('issues tokens (admin only); an operator controls monitoring, a viewer is 403, revoked and expired tokens are 401', async () => {
    const started = await startAgent();
    close = started.close;
    const app = started.agent.app;
    const issue = async (payload: Record<string, unknown>) => {
      const response = await app.inject({ method: 'POST', url: '/tokens', headers: AUTHORIZED, payload });
      expect(response.statusCode, response.body).toBe(201);
      return response.json() as { id: string; token: string };
    };
    const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
    const alice = await issue({ name: 'alice', role: 'operator' });
    const victor = await issue({ name: 'victor', role: 'viewer' });

    expect((await app.inject({ method: 'POST', url: '/control/stop-monitoring', headers: bearer(alice.token) })).statusCode).toBe(200);
    const viewer = await app.inject({ method: 'POST', url: '/control/start-monitoring', headers: bearer(victor.token) });
    expect(viewer.statusCode).toBe(403);
    expect(viewer.json()).toMatchObject({ error: 'forbidden', message: expect.stringContaining('operator role') });
    expect((await app.inject({ method: 'POST', url: '/tokens', headers: bearer(alice.token), payload: { name: 'eve', role: 'admin' } })).statusCode).toBe(403);
    expect((await app.inject({ url: '/tokens' })).statusCode).toBe(401);

    expect((await app.inject({ method: 'DELETE', url: '/tokens/alice', headers: AUTHORIZED })).statusCode).toBe(200);
    const revoked = await app.inject({ method: 'POST', url: '/control/start-monitoring', headers: bearer(alice.token) });
    expect(revoked).toMatchObject({ statusCode: 401 });
    expect(revoked.json().message).toBe('the bearer token was revoked');

    const brief = await issue({ name: 'bob', role: 'operator', expires_in_seconds: 1 });
    await new Promise((resolve) => setTimeout(resolve, 1100));
    const expired = await app.inject({ method: 'POST', url: '/control/start-monitoring', headers: bearer(brief.token) });
    expect(expired.statusCode).toBe(401);
    expect(expired.json().message).toBe('the bearer token has expired');
  });
});
