import type { ScriptedReply } from '@atb/testing';
import { describeWithComponent, waitFor } from '@atb/testing';
import { simpleGit } from 'simple-git';
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import { BwrapSandbox } from '../../src/sandbox/bwrap-sandbox.js';
import type { Task } from '../../src/tasks/task.js';
import { AUTHORIZATION, editReply, type Harness, startHarness } from './harness.js';

vi.setConfig({ testTimeout: 90_000 });

/** Scripted coder answers per scenario (by the tag in the requirement), in order. */
const SCENARIOS: Record<string, ScriptedReply[]> = {
  nochange: [{ content: 'NO CHANGE NEEDED: add() is documented to subtract; the requirement is based on a misreading.' }],
  budget: [
    { ...editReply('src/math.js', '  return a - b;', '  return a * b;'), usage: { prompt_tokens: 5000, completion_tokens: 100 } },
    editReply('src/math.js', '  return a * b;', '  return a + b;'),
  ],
  loop: [
    editReply('src/math.js', '  return a - b;', '  return a * b;'),
    editReply('src/math.js', '  return a * b;', '  return b * a;'),
    editReply('src/math.js', '  return b * a;', '  return a + b;'),
  ],
  security: [editReply('src/math.js', '  return a - b;', "  return eval('a + b');")],
  cancel: [{ ...editReply('src/math.js', '  return a - b;', '  return a + b;'), delay_ms: 30_000 }],
  syntax: [editReply('src/math.js', '  return a - b;', '  return a + ;'), editReply('src/math.js', '  return a + ;', '  return a + b;')],
};

describeWithComponent('bubblewrap', await new BwrapSandbox().available(), 'install it: scripts/install-system-deps.sh', () => {
  let harness: Harness;
  const calls: Record<string, number> = {};
  beforeAll(async () => {
    harness = await startHarness({
      coder: (_index, request) => {
        const name = /\[scenario:(\w+)\]/.exec(JSON.stringify(request.body))?.[1] ?? '';
        const replies = SCENARIOS[name];
        if (!replies) throw new Error(`no scenario ${name}`);
        const call = calls[name] ?? 0;
        calls[name] = call + 1;
        return replies[Math.min(call, replies.length - 1)] as ScriptedReply;
      },
      environment: { TASK_TOKEN_BUDGET: '3000', TASK_MAX_ITERATIONS: '5' },
    });
  });
  afterAll(async () => {
    await harness?.close();
  });

  async function create(name: string): Promise<string> {
    const response = await harness.agent.app.inject({
      headers: AUTHORIZATION,
      method: 'POST',
      url: '/tasks',
      payload: { repository: 'atb/fixture', requirement: `Fix add() [scenario:${name}]` },
    });
    return response.json().task_id as string;
  }

  async function branches(): Promise<string[]> {
    return (await simpleGit().listRemote(['--heads', harness.remote])).split('\n').filter(Boolean);
  }

  it('ends "no change needed" with the explanation', async () => {
    const task = await harness.waitForTask(await create('nochange'));
    expect(task.status).toBe('no_change_needed');
    expect(task.reason).toMatch(/documented to subtract/);
    expect(task.steps.map((step) => step.name)).toEqual(['workspace', 'plan', 'baseline', 'implement']);
  });

  it('stops when the token budget is spent', async () => {
    const task = await harness.waitForTask(await create('budget'));
    expect(task.status).toBe('failed');
    expect(task.reason).toMatch(/token budget exhausted: used \d+ of 3000 tokens \(TASK_TOKEN_BUDGET\)/);
    expect(calls.budget).toBe(1);
  });

  it('stops when the same failing test output comes back twice', async () => {
    const task = await harness.waitForTask(await create('loop'));
    expect(task.status).toBe('failed');
    expect(task.reason).toMatch(/loop detected: the same failing test output twice/);
    expect(task.test_results.runs.map((run) => run.passed)).toEqual([false, false]);
    expect(calls.loop).toBe(2);
  });

  it('blocks a passing change that adds eval(), and pushes nothing', async () => {
    const before = await branches();
    const task = await harness.waitForTask(await create('security'));
    expect(task.status).toBe('failed');
    expect(task.test_results.final?.passed).toBe(true);
    expect(task.reason).toMatch(/security checks blocked the change: eval in src\/math.js/);
    expect(task.security_findings).toEqual(expect.arrayContaining([expect.objectContaining({ rule: 'eval', severity: 'block' })]));
    expect(task.steps.find((step) => step.name === 'commit')).toBeUndefined();
    expect(await branches()).toEqual(before);
  });

  it('checks every edit: a syntax error is caught by the check, fed back, and fixed before the tests run', async () => {
    const task = await harness.waitForTask(await create('syntax'));
    expect(task.status).toBe('completed');
    expect(task.test_results.baseline_check?.passed).toBe(true);
    expect(task.test_results.check?.map((run) => run.passed)).toEqual([false, true]);
    expect(task.test_results.check?.[0]?.output).toMatch(/SyntaxError/);
    expect(task.test_results.runs.map((run) => run.passed)).toEqual([true]);
  });

  it('cancels a running task', async () => {
    const taskId = await create('cancel');
    await waitFor(async () => (calls.cancel ?? 0) > 0, { timeoutMs: 30_000, intervalMs: 50, description: 'the coder call' });
    const response = await harness.agent.app.inject({ headers: AUTHORIZATION, method: 'POST', url: `/tasks/${taskId}/cancel` });
    expect(response.statusCode).toBe(200);
    const task = response.json() as Task;
    expect(task.status).toBe('cancelled');
    expect(task.reason).toBe('cancelled on request');
    expect(task.steps.find((step) => step.name === 'implement')?.status).toBe('failed');
  });
});

describeWithComponent('bubblewrap', await new BwrapSandbox().available(), 'install it: scripts/install-system-deps.sh', () => {
  let harness: Harness;
  beforeAll(async () => {
    harness = await startHarness({
      coder: () => ({ ...editReply('src/math.js', '  return a - b;', '  return a + b;'), delay_ms: 20_000 }),
      environment: { WORKFLOW_TIMEOUT: '3' },
    });
  });
  afterAll(async () => {
    await harness?.close();
  });

  it('fails a task that exceeds WORKFLOW_TIMEOUT, naming the setting', async () => {
    const response = await harness.agent.app.inject({ headers: AUTHORIZATION, method: 'POST', url: '/tasks', payload: { repository: 'atb/fixture', requirement: 'Fix add()' } });
    const task = await harness.waitForTask(response.json().task_id as string, 30_000);
    expect(task.status).toBe('failed');
    expect(task.reason).toBe('exceeded WORKFLOW_TIMEOUT (3 s)');
    expect(Date.parse(task.finished_at as string) - Date.parse(task.started_at as string)).toBeLessThan(10_000);
  });
});
