import { execFileSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildCodingAgent, type CodingAgent } from '../src/app.js';
import { readConfig } from '../src/config.js';

describe('coding agent without a model', () => {
  let directory: string;
  let agent: CodingAgent;
  beforeAll(async () => {
    directory = await mkdtemp(join(tmpdir(), 'atb-coding-app-'));
    agent = await buildCodingAgent(
      readConfig({ DATA_DIR: directory, WORKSPACE_BASE_PATH: join(directory, 'workspaces'), ENABLE_SANDBOXING: 'false', LOG_LEVEL: 'silent' }),
      { logger: false },
    );
  });
  afterAll(async () => {
    await agent?.close();
    await rm(directory, { recursive: true, force: true });
  });

  it('reports itself degraded, naming what is missing', async () => {
    const health = (await agent.app.inject({ method: 'GET', url: '/health' })).json();
    expect(health).toMatchObject({
      status: 'degraded',
      checks: { sandbox: { status: 'healthy', kind: 'none' }, model: { status: 'degraded', message: expect.stringMatching(/LLM_PROVIDER/) } },
    });
    expect((await agent.app.inject({ method: 'GET', url: '/status' })).json()).toMatchObject({
      tasks: { running: 0, queued: 0 },
      queue: { backend: 'database', waiting: 0, active: 0, dead: 0, dead_letters: [] },
    });
  });

  it('accepts a task and fails it at once with the reason', async () => {
    const headers = { authorization: `Bearer ${agent.token}` };
    const created = await agent.app.inject({ method: 'POST', url: '/tasks', headers, payload: { repository: 'atb/market-predictor', requirement: 'x' } });
    expect(created.statusCode).toBe(202);
    let task: { status: string; reason?: string };
    do {
      task = (await agent.app.inject({ method: 'GET', url: `/tasks/${created.json().task_id}`, headers })).json();
    } while (task.status === 'queued' || task.status === 'running');
    expect(task).toMatchObject({ status: 'failed', reason: expect.stringMatching(/^no model: LLM_PROVIDER is none/) });
  });
});

describe('seeding the local forge', () => {
  it('creates the listed repositories from local git repositories at start-up', async () => {
    const directory = await mkdtemp(join(tmpdir(), 'atb-coding-seed-'));
    try {
      const source = join(directory, 'source');
      execFileSync('git', ['init', '--quiet', '--initial-branch=main', source]);
      execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.com', 'commit', '--quiet', '--allow-empty', '-m', 'first'], { cwd: source });
      const config = readConfig({
        DATA_DIR: directory,
        ENABLE_SANDBOXING: 'false',
        FORGE_SEED_REPOSITORIES: `atb/seeded=${source}`,
        LOG_LEVEL: 'silent',
      });
      const agent = await buildCodingAgent(config, { logger: false });
      await agent.close();
      const heads = execFileSync('git', ['ls-remote', '--heads', join(directory, 'forge', 'repositories', 'atb', 'seeded.git')], { encoding: 'utf8' });
      expect(heads).toMatch(/refs\/heads\/main/);
      expect(() => readConfig({ FORGE_SEED_REPOSITORIES: 'atb/x=relative/path' })).toThrow(/FORGE_SEED_REPOSITORIES/);
    } finally {
      await rm(directory, { recursive: true, force: true });
    }
  });
});
