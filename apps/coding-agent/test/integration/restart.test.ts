import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeWithComponent, type ScriptedOpenAIServer, startScriptedOpenAIServer, waitFor } from '@atb/testing';
import { simpleGit } from 'simple-git';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { LocalForge } from '../../src/forge/local-forge.js';
import { BwrapSandbox } from '../../src/sandbox/bwrap-sandbox.js';
import type { Task } from '../../src/tasks/task.js';
import { type AgentProcess, startAgentProcess } from './agent-process.js';
import { AUTHORIZATION, TEST_API_TOKEN, createRepository, editReply, FIXTURE_FILES, type Harness, isPlannerRequest, PLAN_REPLY, startHarness } from './harness.js';

const FIX = editReply('src/math.js', '  return a - b;', '  return a + b;');

describeWithComponent('bubblewrap', await new BwrapSandbox().available(), 'install it: scripts/install-system-deps.sh', () => {
  let root: string;
  let server: ScriptedOpenAIServer;
  let forge: LocalForge;
  let remote: string;
  let coderDelayMs = 60_000;
  let agent: AgentProcess | undefined;
  const environment = () => ({
    CODING_AGENT_API_TOKEN: TEST_API_TOKEN,
    DATA_DIR: join(root, 'data'),
    WORKSPACE_BASE_PATH: join(root, 'workspaces'),
    FORGE_PATH: join(root, 'forge'),
    ALLOWED_REPOSITORIES: 'atb/fixture',
    LLM_PROVIDER: 'openai-compatible',
    LLM_BASE_URL: server.url,
    LLM_MODEL: 'scripted',
    LLM_MAX_RETRIES: '0',
    LLM_TIMEOUT: '120',
    TESTING_TIMEOUT: '20',
    // A SIGKILLed process keeps its lease until it runs out: keep that short here.
    TASK_LEASE_SECONDS: '2',
  });

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'atb-coder-restart-'));
    const source = await createRepository(join(root, 'source'), FIXTURE_FILES);
    forge = new LocalForge({ directory: join(root, 'forge') });
    remote = await forge.ensureRepository('atb/fixture', source);
    server = await startScriptedOpenAIServer((request) =>
      isPlannerRequest(request) ? { content: PLAN_REPLY } : { ...FIX, delay_ms: coderDelayMs },
    );
  });
  afterAll(async () => {
    await agent?.kill();
    await server?.close();
    if (root) await rm(root, { recursive: true, force: true });
  });

  async function getTask(taskId: string): Promise<Task> {
    return (await (await fetch(`${agent?.url}/tasks/${taskId}`, { headers: AUTHORIZATION })).json()) as Task;
  }

  async function createTask(requirement: string): Promise<string> {
    const response = await fetch(`${agent?.url}/tasks`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...AUTHORIZATION },
      body: JSON.stringify({ repository: 'atb/fixture', requirement }),
    });
    expect(response.status).toBe(202);
    return ((await response.json()) as { task_id: string }).task_id;
  }

  const coderRequests = () => server.requests.filter((request) => !isPlannerRequest(request)).length;

  /** Waits until the task is inside the implement step, its coder request held by the (slow) model. */
  async function waitUntilImplementing(taskId: string, coderRequestsBefore: number): Promise<void> {
    await waitFor(
      async () => {
        const task = await getTask(taskId);
        const implementing = task.steps.some((step) => step.name === 'implement' && step.status === 'running');
        return implementing && coderRequests() > coderRequestsBefore;
      },
      { timeoutMs: 30_000, intervalMs: 50, description: 'the task to reach the implement step' },
    );
  }

  async function waitUntilFinal(taskId: string): Promise<Task> {
    return waitFor(
      async () => {
        const task = await getTask(taskId);
        return ['queued', 'running'].includes(task.status) ? false : task;
      },
      { timeoutMs: 60_000, intervalMs: 100, description: `task ${taskId} to end` },
    );
  }

  async function remoteBranches(): Promise<string[]> {
    const listing = await simpleGit().listRemote(['--heads', remote]);
    return listing
      .split('\n')
      .filter(Boolean)
      .map((line) => line.split('\t')[1] ?? '');
  }

  it('resumes a task killed mid-way from its last completed step, and completes it', async () => {
    agent = await startAgentProcess({ ...environment(), TASK_MAX_RESUMES: '1' });
    const before = coderRequests();
    const taskId = await createTask('Fix add(): it subtracts');
    await waitUntilImplementing(taskId, before);
    const plannerCalls = server.requests.filter(isPlannerRequest).length;
    await agent.kill();
    expect(await remoteBranches()).toEqual(['refs/heads/main']);

    coderDelayMs = 0;
    agent = await startAgentProcess({ ...environment(), TASK_MAX_RESUMES: '1' });
    const task = await waitUntilFinal(taskId);
    expect(task.reason).toBeUndefined();
    expect(task.status).toBe('completed');
    expect(task.resumes).toBe(1);
    // The plan survived the crash: the planner was not asked again.
    expect(server.requests.filter(isPlannerRequest).length).toBe(plannerCalls);
    expect(task.steps.map((step) => step.name)).toEqual(['workspace', 'plan', 'baseline', 'implement', 'security', 'commit', 'push', 'pull_request']);
    const events = await (await fetch(`${agent.url}/tasks/${taskId}/events`, { headers: AUTHORIZATION })).text();
    expect(events).toMatch(/resumed after a restart \(resume 1\); last completed step: baseline/);
    const remoteHead = (await simpleGit().listRemote([remote, `refs/heads/${task.branch}`])).split(/\s+/)[0];
    expect(remoteHead).toBe(task.commit);
    expect((await forge.listPullRequests('atb/fixture')).map((pull) => pull.head)).toEqual([task.branch]);
  }, 120_000);

  it('fails a task cleanly, with the reason, when it may not be resumed; nothing is pushed or claimed', async () => {
    coderDelayMs = 60_000;
    const before = coderRequests();
    const taskId = await createTask('Fix add() again');
    await waitUntilImplementing(taskId, before);
    await agent?.kill();

    agent = await startAgentProcess({ ...environment(), TASK_MAX_RESUMES: '0' });
    const task = await waitUntilFinal(taskId);
    expect(task.status).toBe('failed');
    expect(task.reason).toMatch(/interrupted by a restart during step implement 1 times; not resumed again \(TASK_MAX_RESUMES=0\)/);
    expect(task.pull_request).toBeUndefined();
    expect(task.steps.find((step) => step.name === 'implement')).toMatchObject({ status: 'failed', detail: 'interrupted by a restart' });
    expect((await remoteBranches()).filter((branch) => branch.includes(taskId))).toEqual([]);
    expect((await forge.listPullRequests('atb/fixture')).some((pull) => pull.head.includes(taskId))).toBe(false);
  }, 120_000);
});

describeWithComponent('bubblewrap', await new BwrapSandbox().available(), 'install it: scripts/install-system-deps.sh', () => {
  let harness: Harness;
  let delayMs = 30_000;
  beforeAll(async () => {
    harness = await startHarness({
      coder: () => ({ ...editReply('src/math.js', '  return a - b;', '  return a + b;'), delay_ms: delayMs }),
      environment: { TASK_MAX_RESUMES: '0' },
    });
  });
  afterAll(async () => {
    await harness?.close();
  });

  it('resumes a task interrupted by an orderly shutdown without counting it as a crash', async () => {
    const created = await harness.agent.app.inject({ headers: AUTHORIZATION, method: 'POST', url: '/tasks', payload: { repository: 'atb/fixture', requirement: 'Fix add()' } });
    const taskId = created.json().task_id as string;
    await waitFor(async () => harness.modelRequests.filter((request) => !isPlannerRequest(request)).length > 0, {
      timeoutMs: 30_000,
      intervalMs: 50,
      description: 'the coder call',
    });
    delayMs = 0;
    await harness.restart();
    const task = await harness.waitForTask(taskId);
    expect(task.status).toBe('completed');
    expect(task.resumes).toBe(0);
    expect(task.interrupted_by_shutdown).toBeUndefined();
    const events = (await harness.agent.app.inject({ headers: AUTHORIZATION, method: 'GET', url: `/tasks/${taskId}/events` })).body;
    expect(events).toMatch(/resumed after a shutdown; last completed step: baseline/);
  });
});
