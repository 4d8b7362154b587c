import { execFileSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CodingAgentClient, UpstreamRefusedError } from '@atb/clients';
import {
  createTaskRequestSchema,
  createTaskResponseSchema,
  listTasksQuerySchema,
  taskListResponseSchema,
  taskSchema,
} from '@atb/contracts';
import { type ContractRoute, contractMismatches, fetchOpenApiDocument } from '@atb/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildCodingAgent, type CodingAgent } from '../src/app.js';
import { readConfig } from '../src/config.js';

const CODING_TOKEN = 'contract-test-coding-token';

/** The routes `CodingAgentClient` calls, with the shared schemas they must be declared with. */
const ROUTES: ContractRoute[] = [
  { method: 'post', path: '/tasks', body: createTaskRequestSchema, responses: { 202: createTaskResponseSchema } },
  { method: 'get', path: '/tasks', query: listTasksQuerySchema, responses: { 200: taskListResponseSchema } },
  { method: 'get', path: '/tasks/{id}', responses: { 200: taskSchema } },
  { method: 'post', path: '/tasks/{id}/cancel', responses: { 200: taskSchema } },
  { method: 'get', path: '/tasks/{id}/events', responses: {} },
];

/**
 * The coding agent's real app (no model configured: every task fails at once, with its
 * reason) listening on a socket, and its one client.
 */
describe('coding agent task API contract (the real app on a socket)', () => {
  let directory: string;
  let agent: CodingAgent;
  let url: string;
  beforeAll(async () => {
    directory = await mkdtemp(join(tmpdir(), 'atb-coding-contract-'));
    const source = join(directory, 'source');
    execFileSync('git', ['init', '--quiet', '--initial-branch=main', source]);
    execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.com', 'commit', '--quiet', '--allow-empty', '-m', 'first'], { cwd: source });
    agent = await buildCodingAgent(
      readConfig({
        API_HOST: '127.0.0.1',
        API_PORT: '0',
        DATA_DIR: directory,
        WORKSPACE_BASE_PATH: join(directory, 'workspaces'),
        ALLOWED_REPOSITORIES: 'atb/contract',
        FORGE_SEED_REPOSITORIES: `atb/contract=${source}`,
        ENABLE_SANDBOXING: 'false',
        CODING_AGENT_API_TOKEN: CODING_TOKEN,
        LOG_LEVEL: 'silent',
      }),
      { logger: false },
    );
    url = await agent.listen();
  });
  afterAll(async () => {
    await agent?.close();
    if (directory) await rm(directory, { recursive: true, force: true });
  });

  it('serves every route the client calls, with the schemas generated from the shared ones', async () => {
    expect(contractMismatches(await fetchOpenApiDocument(url), ROUTES)).toEqual([]);
  });

  it('round-trips create (idempotent by key), events, show, list and cancel', async () => {
    const client = new CodingAgentClient({ baseUrl: url, token: CODING_TOKEN });
    const created = await client.createTask({ repository: 'atb/contract', requirement: 'add a README', incident_id: 'inc_7' }, { idempotencyKey: 'contract-key' });
    expect(created).toMatchObject({ status: 'queued', duplicate: false });
    const again = await client.createTask({ repository: 'atb/contract', requirement: 'add a README' }, { idempotencyKey: 'contract-key' });
    expect(again).toMatchObject({ task_id: created.task_id, duplicate: true });

    const events = [];
    for await (const event of client.streamEvents(created.task_id)) events.push(event);
    expect(events.at(-1)).toMatchObject({ type: 'task-done', data: { task_id: created.task_id, status: 'failed' } });

    const task = await client.getTask(created.task_id);
    expect(task).toMatchObject({ status: 'failed', incident_id: 'inc_7', has_patch: false, reason: expect.stringMatching(/LLM_PROVIDER/) });
    const listed = await client.listTasks({ status: 'failed', limit: 10 });
    expect(listed.tasks.map((entry) => entry.task_id)).toContain(created.task_id);

    const cancel = await client.cancelTask(created.task_id).catch((error: unknown) => error);
    expect(cancel).toBeInstanceOf(UpstreamRefusedError);
    expect(cancel).toMatchObject({ code: 'upstream_refused', status: 409 });
    const refused = await client.createTask({ repository: 'someone/else', requirement: 'x' }).catch((error: unknown) => error);
    expect(refused).toMatchObject({ status: 403, field: 'body.repository' });
  });
});
