/**
 * Orchestration overhead of the coding agent per task, model time excluded: the real
 * workflow (mirror-cached workspace, repository map, edit application, git commit and push to a
 * local bare remote, pull-request record, SQLite task store, events) on a small fixture
 * repository with the real bubblewrap sandbox and the scripted OpenAI-compatible model answering
 * at once. Per task: wall time from creation to completion, minus the time inside sandboxed
 * check/test runs, minus the time waiting for the model = the agent's own overhead. For scale,
 * the same run also times one bare `node --test` of the fixture in the sandbox.
 *
 *   npx tsx --conditions=@atb/source bench/coder/orchestration.ts [--tasks 10]
 */
import { parseArgs } from 'node:util';
import { editReply, startHarness } from '../../apps/coding-agent/test/integration/harness.js';
import { BwrapSandbox } from '../../apps/coding-agent/src/sandbox/bwrap-sandbox.js';
import type { Task } from '../../apps/coding-agent/src/tasks/task.js';

const { values: args } = parseArgs({ options: { tasks: { type: 'string', default: '10' } } });
const count = Number(args.tasks);

const percentile = (values: number[], fraction: number): number => {
  const sorted = [...values].sort((left, right) => left - right);
  return sorted[Math.min(sorted.length - 1, Math.floor(fraction * sorted.length))] ?? 0;
};
const format = (milliseconds: number): string => `${milliseconds.toFixed(0)} ms`;

const harness = await startHarness({
  coder: () => editReply('src/math.js', '  return a - b;', '  return a + b;'),
  environment: { TESTING_TIMEOUT: '60', MAX_CONCURRENT_TASKS: '1' },
});
try {
  // Warm-up: the first task creates the mirror and loads modules.
  const rows: { wall: number; sandbox: number; model: number; overhead: number; steps: Record<string, number> }[] = [];
  for (let index = 0; index <= count; index += 1) {
    const created = await harness.agent.app.inject({
      method: 'POST',
      url: '/tasks',
      payload: { repository: 'atb/fixture', requirement: `Fix add(), run ${index}` },
    });
    const task: Task = await harness.waitForTask(created.json().task_id as string);
    if (task.status !== 'completed') throw new Error(`task ${task.task_id} ended ${task.status}: ${task.reason}`);
    if (index === 0) continue;
    const wall = Date.parse(task.finished_at as string) - Date.parse(task.created_at);
    const runs = [task.test_results.baseline, ...task.test_results.runs, ...(task.test_results.check ?? [])];
    const sandbox = runs.reduce((sum, run) => sum + (run?.duration_ms ?? 0), 0);
    const model = task.model_ms ?? 0;
    rows.push({
      wall,
      sandbox,
      model,
      overhead: wall - sandbox - model,
      steps: Object.fromEntries(task.steps.map((step) => [step.name, step.duration_ms ?? 0])),
    });
  }
  const sandbox = new BwrapSandbox();
  const bare: number[] = [];
  for (let index = 0; index < 5; index += 1) {
    const result = await sandbox.run({ workspace: `${harness.root}/source`, command: ['node', '--test'], timeoutMs: 60_000, memoryBytes: 1024 ** 3 });
    bare.push(result.durationMs);
  }
  console.log(`${count} tasks (after one warm-up), each: plan, baseline test, one edit, check, test, security, commit, push, pull request\n`);
  const line = (label: string, values: number[]) =>
    console.log(`${label.padEnd(34)} median ${format(percentile(values, 0.5)).padStart(8)}   p90 ${format(percentile(values, 0.9)).padStart(8)}`);
  line('wall time per task', rows.map((row) => row.wall));
  line('  in the sandbox (check + tests)', rows.map((row) => row.sandbox));
  line('  waiting for the model', rows.map((row) => row.model));
  line('  orchestration overhead', rows.map((row) => row.overhead));
  console.log('\nper step (wall, sandbox included where the step runs one):');
  for (const step of Object.keys(rows[0]?.steps ?? {})) line(`  ${step}`, rows.map((row) => row.steps[step] ?? 0));
  console.log('');
  line('baseline: one bare sandboxed node --test', bare);
  const overhead = percentile(rows.map((row) => row.overhead), 0.5);
  console.log(`\norchestration overhead per task: ${format(overhead)} (median) — goal ≤ 2000 ms: ${overhead <= 2000 ? 'met' : 'NOT met'}`);
} finally {
  await harness.close();
}
