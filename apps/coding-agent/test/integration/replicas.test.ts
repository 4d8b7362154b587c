import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  createTestDatabase,
  deleteRedisKeys,
  describeWithComponent,
  probePostgres,
  probeRedis,
  type ScriptedOpenAIServer,
  startScriptedOpenAIServer,
  TEST_REDIS_URL,
  waitFor,
} from '@atb/testing';
import { simpleGit } from 'simple-git';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { LocalForge } from '../../src/forge/local-forge.js';
import { BwrapSandbox } from '../../src/sandbox/bwrap-sandbox.js';
import type { Task } from '../../src/tasks/task.js';
import { type AgentProcess, startAgentProcess } from './agent-process.js';
import { AUTHORIZATION, createRepository, editReply, FIXTURE_FILES, isPlannerRequest, PLAN_REPLY, TEST_API_TOKEN } from './harness.js';

const STEPS = ['workspace', 'plan', 'baseline', 'implement', 'security', 'commit', 'push', 'pull_request'];

interface StreamedEvent {
  seq: number;
  type: string;
  data: Record<string, unknown>;
}

/** A server-sent event stream read as it arrives: `events` grows, `ended` resolves at its end. */
function openStream(url: string): { events: StreamedEvent[]; ended: Promise<StreamedEvent[]> } {
  const events: StreamedEvent[] = [];
  const ended = (async () => {
    const response = await fetch(url, { headers: AUTHORIZATION });
    const decoder = new TextDecoder();
    let buffer = '';
    for await (const chunk of response.body as AsyncIterable<Uint8Array>) {
      buffer += decoder.decode(chunk, { stream: true });
      let end = buffer.indexOf('\n\n');
      while (end >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const field = (name: string) => block.split('\n').find((line) => line.startsWith(`${name}: `))?.slice(name.length + 2);
        if (field('id')) events.push({ seq: Number(field('id')), type: field('event')!, data: JSON.parse(field('data')!) as Record<string, unknown> });
        end = buffer.indexOf('\n\n');
      }
    }
    return events;
  })().catch(() => events);
  return { events, ended };
}

const readStream = (url: string) => openStream(url).ended;

/**
 * Two coding agent processes share one PostgreSQL database (tasks) and one queue: a table in that
 * database (claims under leases, events through LISTEN/NOTIFY) or, with `REDIS_URL`, BullMQ on
 * Redis (its job locks, events through Redis pub/sub). The one running a task is SIGKILLed in the
 * middle of it: the other takes the task over once its lease ran out and finishes it once, and a
 * client streaming the task's progress from the survivor since before the kill sees every step,
 * every event in order, and the end.
 */
function replicaSuite(backend: 'database' | 'redis') {
  const redisPrefix = `atb-test-coder-replicas-${process.pid}-${Date.now().toString(36)}`;
  let root: string;
  let server: ScriptedOpenAIServer;
  let forge: LocalForge;
  let remote: string;
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let coderDelayMs = 60_000;
  const replicas: AgentProcess[] = [];

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'atb-coder-replicas-'));
    database = await createTestDatabase('coding_replicas');
    const source = await createRepository(join(root, 'source'), FIXTURE_FILES);
    forge = new LocalForge({ directory: join(root, 'forge') });
    remote = await forge.ensureRepository('atb/fixture', source);
    server = await startScriptedOpenAIServer((request) => (isPlannerRequest(request) ? { content: PLAN_REPLY } : { ...editReply('src/math.js', '  return a - b;', '  return a + b;'), delay_ms: coderDelayMs }));
    // One after the other: the first one migrates the shared database.
    for (const name of ['one', 'two']) {
      replicas.push(
        await startAgentProcess({
          CODING_AGENT_API_TOKEN: TEST_API_TOKEN,
          DATABASE_URL: database.url,
          DATA_DIR: join(root, name, 'data'),
          WORKSPACE_BASE_PATH: join(root, name, 'workspaces'),
          FORGE_PATH: join(root, 'forge'),
          ALLOWED_REPOSITORIES: 'atb/fixture',
          LLM_PROVIDER: 'openai-compatible',
          LLM_BASE_URL: server.url,
          LLM_MODEL: 'scripted',
          LLM_MAX_RETRIES: '0',
          LLM_TIMEOUT: '120',
          TESTING_TIMEOUT: '20',
          TASK_LEASE_SECONDS: '2',
          TASK_MAX_RESUMES: '1',
          ...(backend === 'redis' ? { REDIS_URL: TEST_REDIS_URL, REDIS_PREFIX: redisPrefix } : {}),
        }),
      );
    }
  }, 120_000);
  afterAll(async () => {
    await Promise.all(replicas.map((replica) => replica.kill()));
    await server?.close();
    await database?.drop();
    if (backend === 'redis') await deleteRedisKeys(redisPrefix);
    if (root) await rm(root, { recursive: true, force: true });
  });

  const get = async <T>(replica: AgentProcess, path: string) => (await (await fetch(`${replica.url}${path}`, { headers: AUTHORIZATION })).json()) as T;

  it('finishes a task once on the survivor, whose progress stream shows every step', async () => {
    const status = await get<{ queue: { backend: string } }>(replicas[0]!, '/status');
    expect(status.queue.backend).toBe(backend === 'redis' ? 'bullmq' : 'database');
    const created = await fetch(`${replicas[0]!.url}/tasks`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...AUTHORIZATION },
      body: JSON.stringify({ repository: 'atb/fixture', requirement: 'Fix add(): it subtracts' }),
    });
    expect(created.status).toBe(202);
    const taskId = ((await created.json()) as { task_id: string }).task_id;
    // A client on each replica streams the task's progress from (almost) its start, whichever replica runs it.
    const streams = replicas.map((replica) => openStream(`${replica.url}/tasks/${taskId}/events`));
    const running = await waitFor(
      async () => {
        const task = await get<Task>(replicas[0]!, `/tasks/${taskId}`);
        if (!task.steps.some((step) => step.name === 'implement' && step.status === 'running')) return false;
        const counts = await Promise.all(replicas.map(async (replica) => (await get<{ tasks: { running: number } }>(replica, '/status')).tasks.running));
        const index = counts.indexOf(1);
        return index >= 0 ? index : false;
      },
      { timeoutMs: 60_000, intervalMs: 50, description: 'the task to reach the implement step on one replica' },
    );
    const victim = replicas[running]!;
    const survivor = replicas[1 - running]!;
    const stream = streams[1 - running]!;
    // Before the kill the survivor's client saw the steps the other replica ran, as it ran them.
    await waitFor(() => stream.events.some((event) => event.type === 'task-step-started' && event.data.step === 'implement'), {
      timeoutMs: 10_000,
      intervalMs: 50,
      description: 'the implement step on the survivor stream',
    });
    coderDelayMs = 0;
    await victim.kill();

    const events = await stream.ended;
    const task = await get<Task>(survivor, `/tasks/${taskId}`);
    expect(task.status).toBe('completed');
    expect(task.resumes).toBe(1);
    expect(task.steps.map((step) => step.name)).toEqual(STEPS);
    // Every event the store holds, in order, none missing or repeated, ending with task-done.
    const stored = (await streamEventsAfterTheFact(survivor, taskId)).map((event) => event.seq);
    expect(events.map((event) => event.seq)).toEqual(stored);
    expect(stored).toEqual(Array.from({ length: stored.length }, (_, index) => index + 1));
    expect(events.at(-1)?.type).toBe('task-done');
    for (const step of STEPS) {
      expect(events.some((event) => event.type === 'task-step-finished' && event.data.step === step), step).toBe(true);
    }
    // Done once: one branch pushed, one pull request.
    const branches = (await simpleGit().listRemote(['--heads', remote])).split('\n').filter(Boolean);
    expect(branches.filter((line) => line.includes(taskId))).toHaveLength(1);
    expect((await forge.listPullRequests('atb/fixture')).map((pull) => pull.head)).toEqual([task.branch]);
  }, 180_000);

  /** The task's whole history read back (a late watcher's view), to compare the live stream with. */
  function streamEventsAfterTheFact(replica: AgentProcess, taskId: string): Promise<StreamedEvent[]> {
    return readStream(`${replica.url}/tasks/${taskId}/events`);
  }
}

const sandbox = await new BwrapSandbox().available();
const postgres = sandbox ?? (await probePostgres());
describeWithComponent('bubblewrap and PostgreSQL', postgres, 'scripts/install-system-deps.sh; pg_ctlcluster 15 main start', () => replicaSuite('database'));
describeWithComponent('bubblewrap, PostgreSQL and Redis', postgres ?? (await probeRedis()), 'scripts/install-system-deps.sh; pg_ctlcluster 15 main start; redis-server', () =>
  replicaSuite('redis'),
);
