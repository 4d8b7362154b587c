import { readFileSync, statSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildCodingAgent, type CodingAgent } from '../src/app.js';
import { readConfig } from '../src/config.js';

describe("the coding agent's task API is authenticated, and only people lift protected paths", () => {
  let directory: string;
  let agent: CodingAgent;
  let agentToken: string;
  beforeAll(async () => {
    directory = await mkdtemp(join(tmpdir(), 'atb-coding-auth-'));
    agent = await buildCodingAgent(
      readConfig({ DATA_DIR: directory, WORKSPACE_BASE_PATH: join(directory, 'workspaces'), ENABLE_SANDBOXING: 'false', LOG_LEVEL: 'silent' }),
      { logger: false, skipRecovery: true },
    );
    agentToken = readFileSync(join(directory, 'devops-agent-token'), 'utf8').trim();
  });
  afterAll(async () => {
    await agent?.close();
    await rm(directory, { recursive: true, force: true });
  });

  const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
  const task = (allowed_paths?: string[]) => ({ repository: 'atb/market-predictor', requirement: 'fix the CI', ...(allowed_paths ? { allowed_paths } : {}) });
  const listed = async () => (await agent.app.inject({ url: '/tasks', headers: bearer(agent.token) })).json().tasks as unknown[];

  it('refuses an unauthenticated POST /tasks (and reads) with 401, creating nothing', async () => {
    const response = await agent.app.inject({ method: 'POST', url: '/tasks', payload: task(['.github/workflows/**']) });
    expect(response.statusCode).toBe(401);
    expect(response.json()).toMatchObject({ error: 'unauthenticated', field: 'headers.authorization' });
    expect((await agent.app.inject({ url: '/tasks' })).statusCode).toBe(401);
    expect((await agent.app.inject({ url: '/health' })).statusCode).not.toBe(401);
    expect(await listed()).toEqual([]);
  });

  it("provisions the devops agent's machine token (0600); with it a task may not lift protected paths", async () => {
    expect(statSync(join(directory, 'devops-agent-token')).mode & 0o777).toBe(0o600);
    for (const entries of [['.github/workflows/**'], ['src', '.github/workflows'], ['src/.env'], ['**/.env*']]) {
      const refused = await agent.app.inject({ method: 'POST', url: '/tasks', headers: bearer(agentToken), payload: task(entries) });
      expect(refused.statusCode, JSON.stringify(entries)).toBe(403);
      expect(refused.json()).toMatchObject({ error: 'forbidden', field: expect.stringMatching(/^body\.allowed_paths\.\d$/) });
    }
    expect(await listed()).toEqual([]);
    const plain = await agent.app.inject({ method: 'POST', url: '/tasks', headers: bearer(agentToken), payload: task(['src']) });
    expect(plain.statusCode).toBe(202);
  });

  it('lets an operator person lift a protected path; a viewer reads but creates no task', async () => {
    const issued = await agent.app.inject({ method: 'POST', url: '/tokens', headers: bearer(agent.token), payload: { name: 'alice', role: 'operator' } });
    const alice = issued.json().token as string;
    const viewer = (await agent.app.inject({ method: 'POST', url: '/tokens', headers: bearer(agent.token), payload: { name: 'victor', role: 'viewer' } })).json()
      .token as string;
    expect((await agent.app.inject({ method: 'POST', url: '/tasks', headers: bearer(viewer), payload: task(['.github/workflows/**']) })).statusCode).toBe(403);
    const viewerTask = await agent.app.inject({ method: 'POST', url: '/tasks', headers: bearer(viewer), payload: task() });
    expect(viewerTask.statusCode).toBe(403);
    expect(viewerTask.json().message).toContain('operator role');
    expect((await agent.app.inject({ url: '/tasks', headers: bearer(viewer) })).statusCode).toBe(200);
    const lifted = await agent.app.inject({ method: 'POST', url: '/tasks', headers: bearer(alice), payload: task(['src', 'src/.env']) });
    expect(lifted.statusCode).toBe(202);
    const shown = await agent.app.inject({ url: `/tasks/${lifted.json().task_id}`, headers: bearer(alice) });
    expect(shown.json()).toMatchObject({ allowed_paths: ['src', 'src/.env'] });
    // CI paths stay closed to everyone, the bootstrap admin included, while ALLOW_CI_PATHS is off.
    for (const [who, token] of [['alice', alice], ['the admin', agent.token]] as const) {
      for (const entries of [['.github/workflows/**'], ['src', '.gitlab-ci.yml'], ['.circleci']]) {
        const refused = await agent.app.inject({ method: 'POST', url: '/tasks', headers: bearer(token), payload: task(entries) });
        expect(refused.statusCode, `${who} ${JSON.stringify(entries)}`).toBe(403);
        expect(refused.json()).toMatchObject({ error: 'forbidden', field: `body.allowed_paths.${entries.length - 1}`, message: expect.stringContaining('ALLOW_CI_PATHS=false') });
      }
    }
  });

  it('refuses a revoked and an expired token with 401 on POST /tasks, creating nothing', async () => {
    const before = (await listed()).length;
    const issue = async (payload: Record<string, unknown>) =>
      (await agent.app.inject({ method: 'POST', url: '/tokens', headers: bearer(agent.token), payload })).json() as { id: string; token: string };
    const revoked = await issue({ name: 'rita', role: 'operator' });
    expect((await agent.app.inject({ method: 'DELETE', url: `/tokens/${revoked.id}`, headers: bearer(agent.token) })).statusCode).toBe(200);
    const refusedRevoked = await agent.app.inject({ method: 'POST', url: '/tasks', headers: bearer(revoked.token), payload: task() });
    expect(refusedRevoked.statusCode).toBe(401);
    expect(refusedRevoked.json()).toMatchObject({ error: 'unauthenticated', message: 'the bearer token was revoked' });
    const brief = await issue({ name: 'eddie', role: 'operator', expires_in_seconds: 1 });
    await new Promise((resolve) => setTimeout(resolve, 1100));
    const refusedExpired = await agent.app.inject({ method: 'POST', url: '/tasks', headers: bearer(brief.token), payload: task() });
    expect(refusedExpired.statusCode).toBe(401);
    expect(refusedExpired.json()).toMatchObject({ error: 'unauthenticated', message: 'the bearer token has expired' });
    expect((await listed()).length).toBe(before);
  });

  it("with the agent's own ALLOW_CI_PATHS=true an operator person may lift a CI path (the devops agent still may not)", async () => {
    const ciDirectory = await mkdtemp(join(tmpdir(), 'atb-coding-ci-'));
    const ciAgent = await buildCodingAgent(
      readConfig({ DATA_DIR: ciDirectory, WORKSPACE_BASE_PATH: join(ciDirectory, 'workspaces'), ENABLE_SANDBOXING: 'false', LOG_LEVEL: 'silent', ALLOW_CI_PATHS: 'true' }),
      { logger: false, skipRecovery: true },
    );
    try {
      const alice = (await ciAgent.app.inject({ method: 'POST', url: '/tokens', headers: bearer(ciAgent.token), payload: { name: 'alice', role: 'operator' } })).json().token as string;
      const lifted = await ciAgent.app.inject({ method: 'POST', url: '/tasks', headers: bearer(alice), payload: task(['.github/workflows/**']) });
      expect(lifted.statusCode).toBe(202);
      const machine = readFileSync(join(ciDirectory, 'devops-agent-token'), 'utf8').trim();
      expect((await ciAgent.app.inject({ method: 'POST', url: '/tasks', headers: bearer(machine), payload: task(['.github/workflows/**']) })).statusCode).toBe(403);
    } finally {
      await ciAgent.close();
      await rm(ciDirectory, { recursive: true, force: true });
    }
  });

  it('refuses to start in production without CODING_AGENT_API_TOKEN or the audit key, naming them', async () => {
    const config = readConfig({ ENVIRONMENT: 'production', DATA_DIR: join(directory, 'production'), ENABLE_SANDBOXING: 'false', LOG_LEVEL: 'silent' });
    await expect(buildCodingAgent(config, { logger: false, skipRecovery: true })).rejects.toThrow(/CODING_AGENT_API_TOKEN: required when ENVIRONMENT=production/);
    // With the token but no audit key it does not start either: the task audit chain is keyed.
    const keyless = { ...config, CODING_AGENT_API_TOKEN: 'production-token-0123456789' };
    await expect(buildCodingAgent(keyless, { logger: false, skipRecovery: true })).rejects.toThrow(/AUDIT_HMAC_KEY or AUDIT_HMAC_KEY_FILE: required when ENVIRONMENT=production/);
    expect(() => statSync(join(directory, 'production', 'coding-agent.sqlite'))).toThrow();
  });
});
