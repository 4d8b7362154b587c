import { BwrapSandbox } from '../../src/sandbox/bwrap-sandbox.js';
import { describeWithComponent } from '@atb/testing';
import { simpleGit } from 'simple-git';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Task } from '../../src/tasks/task.js';
import { AUTHORIZATION, editReply, type Harness, startHarness } from './harness.js';

describeWithComponent('bubblewrap', await new BwrapSandbox().available(), 'install it: scripts/install-system-deps.sh', () => {
  let harness: Harness;
  let baseUrl: string;
  beforeAll(async () => {
    harness = await startHarness({
      coder: (index) =>
        index === 0
          ? // A wrong fix first: multiplication instead of addition.
            editReply('src/math.js', '  return a - b;\n}\n\n/** @param', '  return a * b;\n}\n\n/** @param', 'add should combine a and b.')
          : // Then the right one, after seeing the failing test.
            editReply('src/math.js', 'export function add(a, b) {\n  return a * b;', 'export function add(a, b) {\n  return a + b;', 'The test says add(2, 3) must be 5.'),
    });
    baseUrl = await harness.agent.listen();
  });
  afterAll(async () => {
    await harness?.close();
  });

  it('plans, makes a wrong edit, sees the test fail, corrects it, pushes the branch and opens the pull request', async () => {
    const created = await fetch(`${baseUrl}/tasks`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...AUTHORIZATION },
      body: JSON.stringify({ repository: 'atb/fixture', requirement: 'Fix add(): it subtracts', incident_id: 'inc-42' }),
    });
    expect(created.status).toBe(202);
    const { task_id: taskId } = (await created.json()) as { task_id: string };
    // Watch it live while it runs.
    const live = fetch(`${baseUrl}/tasks/${taskId}/events`, { headers: AUTHORIZATION }).then((response) => response.text());

    const task: Task = await harness.waitForTask(taskId);
    expect(task.reason).toBeUndefined();
    expect(task.status).toBe('completed');
    expect(task.steps.map((step) => [step.name, step.status])).toEqual([
      ['workspace', 'completed'],
      ['plan', 'completed'],
      ['baseline', 'completed'],
      ['implement', 'completed'],
      ['security', 'completed'],
      ['commit', 'completed'],
      ['push', 'completed'],
      ['pull_request', 'completed'],
    ]);
    expect(task.steps.every((step) => typeof step.duration_ms === 'number')).toBe(true);
    expect(task.plan).toMatchObject({ complexity: 1, files_to_modify: ['src/math.js'] });

    // Real test runs in the real sandbox: failing before, failing after the wrong edit, passing after the fix.
    expect(task.test_results.baseline?.passed).toBe(false);
    expect(task.test_results.baseline?.tests).toEqual([
      { name: 'add adds', passed: false },
      { name: 'multiply multiplies', passed: true },
    ]);
    expect(task.test_results.runs.map((run) => run.passed)).toEqual([false, true]);
    expect(task.test_results.runs[0]?.output).toMatch(/6 !== 5|Expected values to be strictly equal/);
    expect(task.test_results.final?.passed).toBe(true);
    expect(task.test_results.check?.every((check) => check.passed)).toBe(true);
    expect(task.edits.map((edit) => [edit.iteration, edit.outcome])).toEqual([
      [1, 'applied-exact'],
      [2, 'applied-exact'],
    ]);
    expect(task.iterations).toBe(2);
    expect(task.diff_summary).toMatchObject({ files: [{ path: 'src/math.js', additions: 1, deletions: 1 }] });
    expect(task.tokens.total).toBeGreaterThan(0);

    // The failing output was fed back to the model.
    const coderRequests = harness.modelRequests.filter((request) => !JSON.stringify(request.body?.messages?.[0]).includes('planning a change'));
    expect(coderRequests).toHaveLength(2);
    expect(JSON.stringify(coderRequests[1]?.body)).toMatch(/FAILED/);
    // The test file named in the failure is shown to the coder on the next round; the map always.
    expect(JSON.stringify(coderRequests[0]?.body)).not.toContain('### test/math.test.js');
    expect(JSON.stringify(coderRequests[1]?.body)).toContain('### test/math.test.js');
    expect(JSON.stringify(coderRequests[0]?.body)).toContain('src/math.js: function add, function multiply');

    // The branch is on the bare remote, at the task's commit, authored as GIT_USER_NAME.
    expect(task.branch).toBe(`atb/${taskId}-fix-add-it-subtracts`);
    const remote = await simpleGit().listRemote([harness.remote, `refs/heads/${task.branch}`]);
    expect(remote.split(/\s+/)[0]).toBe(task.commit);
    const bare = simpleGit(harness.remote);
    expect(await bare.raw(['show', '-s', '--format=%an <%ae>', task.commit as string])).toMatch(/^Coding AI Agent <coding-agent@example.com>/);
    expect(await bare.raw(['show', `${task.branch}:src/math.js`])).toContain('  return a + b;');
    expect(await bare.raw(['rev-parse', 'main'])).not.toBe(task.commit);

    // The pull request record exists and carries the plan, the test results and the incident.
    expect(task.pull_request?.url).toBe('local://atb/fixture/pulls/1');
    const [pull] = await harness.forge.listPullRequests('atb/fixture');
    expect(pull).toMatchObject({ number: 1, head: task.branch, base: 'main', state: 'open' });
    expect(pull?.body).toContain('Make add() add instead of subtract.');
    expect(pull?.body).toContain('inc-42');
    expect(pull?.body).toMatch(/after the change: passed \(2\/2 tests passed\)/);

    // The live stream saw every step as it happened, and ended with task-done.
    const liveText = await live;
    expect(liveText.match(/event: task-step-finished/g)).toHaveLength(8);
    expect(liveText.trim().split('\n\n').at(-1)).toMatch(/^id: \d+\nevent: task-done/);

    // The event stream replays the history and ends with task-done.
    const stream = await fetch(`${baseUrl}/tasks/${taskId}/events`, { headers: AUTHORIZATION });
    expect(stream.headers.get('content-type')).toMatch(/text\/event-stream/);
    const text = await stream.text();
    expect(text).toMatch(/event: task-step-started\ndata: \{"step":"workspace"/);
    expect(text).toMatch(/event: task-step-finished\ndata: \{"step":"pull_request","status":"completed"/);
    expect(text.trim().split('\n\n').at(-1)).toMatch(/^id: \d+\nevent: task-done/);

    // Every step is in the hash-chained audit log, and in the metrics.
    const audited = await harness.agent.audit.list({ subject: taskId });
    expect(audited.filter((record) => record.action === 'task-step-finished')).toHaveLength(8);
    expect(audited.at(-1)?.action).toBe('task-done');
    expect(await harness.agent.audit.verify()).toMatchObject({ valid: true });
    const metrics = await (await fetch(`${baseUrl}/metrics`)).text();
    expect(metrics).toMatch(/coding_tasks_finished_total\{[^}]*status="completed"[^}]*\} 1/);
    expect(metrics).toMatch(/coding_task_step_duration_seconds_count\{[^}]*step="push",status="completed"[^}]*\} 1/);

    // GET /tasks lists it with the link the devops agent polls for.
    const list = (await (await fetch(`${baseUrl}/tasks`, { headers: AUTHORIZATION })).json()) as { tasks: { task_id: string; pull_request?: { url: string } }[] };
    expect(list.tasks.find((entry) => entry.task_id === taskId)?.pull_request?.url).toBe(task.pull_request?.url);
  }, 90_000);
});
