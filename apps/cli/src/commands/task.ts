import type { Command } from 'commander';
import pc from 'picocolors';
import type { CliConfig } from '../config.js';
import { serviceToken } from './token.js';

interface TaskView {
  task_id: string;
  repository: string;
  requirement: string;
  status: string;
  reason?: string;
  incident_id?: string;
  created_at: string;
  pull_request?: { number: number; url: string };
  steps?: { name: string; status: string; duration_ms?: number; detail?: string }[];
  plan?: Record<string, unknown>;
  diff_summary?: { files: { path: string; additions: number; deletions: number }[] };
  test_results?: { baseline?: { passed: boolean }; final?: { passed: boolean }; runs: { passed: boolean }[] };
  tokens?: { total: number };
  cost_usd?: number;
  iterations?: number;
}

const FINAL = new Set(['completed', 'no_change_needed', 'failed', 'cancelled']);

/** Calls the coding agent; a 4xx/5xx becomes an error carrying the service's message and field. */
async function call<T>(config: CliConfig, method: string, path: string, body?: unknown): Promise<T> {
  const response = await fetch(`${config.CODING_AGENT_URL}${path}`, {
    method,
    headers: { authorization: `Bearer ${serviceToken(config, 'coding-agent')}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    signal: AbortSignal.timeout(10_000),
  }).catch((error: unknown) => {
    throw new Error(`the coding agent at ${config.CODING_AGENT_URL} does not answer (${(error as Error).cause ?? (error as Error).message})`);
  });
  const payload = (await response.json().catch(() => ({}))) as Record<string, unknown>;
  if (!response.ok) {
    throw new Error(`${response.status} ${String(payload.message ?? response.statusText)}${payload.field ? ` (field ${String(payload.field)})` : ''}`);
  }
  return payload as T;
}

function paintStatus(status: string): string {
  if (status === 'completed' || status === 'no_change_needed') return pc.green(status);
  if (status === 'failed' || status === 'cancelled') return pc.red(status);
  return pc.yellow(status);
}

function printTask(task: TaskView): void {
  const lines = [
    `${pc.bold(task.task_id)}  ${paintStatus(task.status)}  ${task.repository}`,
    `  requirement: ${task.requirement}`,
    task.incident_id ? `  incident: ${task.incident_id}` : '',
    task.reason ? `  reason: ${task.reason}` : '',
    task.pull_request ? `  pull request: ${pc.cyan(task.pull_request.url)}` : '',
    ...(task.steps ?? []).map(
      (step) =>
        `  ${step.status === 'completed' ? pc.green('✓') : step.status === 'failed' ? pc.red('✗') : step.status === 'skipped' ? pc.dim('-') : pc.yellow('…')} ${step.name.padEnd(13)} ${pc.dim(
          step.duration_ms === undefined ? '' : `${step.duration_ms} ms`,
        )}${step.detail ? `  ${pc.dim(step.detail.split('\n')[0] ?? '')}` : ''}`,
    ),
    task.diff_summary ? `  changes: ${task.diff_summary.files.map((file) => `${file.path} +${file.additions} -${file.deletions}`).join(', ')}` : '',
    task.test_results
      ? `  tests: before ${task.test_results.baseline ? (task.test_results.baseline.passed ? 'passing' : 'failing') : 'n/a'}, after ${
          task.test_results.final ? 'passing' : task.test_results.runs.length > 0 ? 'failing' : 'n/a'
        } (${task.test_results.runs.length} runs, ${task.iterations ?? 0} iterations)`
      : '',
    task.tokens ? pc.dim(`  tokens ${task.tokens.total}, cost $${(task.cost_usd ?? 0).toFixed(4)}`) : '',
  ];
  process.stdout.write(`${lines.filter(Boolean).join('\n')}\n`);
}

/** Follows `GET /tasks/:id/events` (server-sent events) until `task-done`; answers the final status. */
async function watch(config: CliConfig, taskId: string, json: boolean): Promise<string> {
  const response = await fetch(`${config.CODING_AGENT_URL}/tasks/${encodeURIComponent(taskId)}/events`, {
    headers: { authorization: `Bearer ${serviceToken(config, 'coding-agent')}` },
  });
  if (!response.ok || !response.body) throw new Error(`${response.status}: cannot watch task ${taskId}`);
  const decoder = new TextDecoder();
  let buffer = '';
  let status = 'unknown';
  for await (const chunk of response.body) {
    buffer += decoder.decode(chunk as Uint8Array, { stream: true });
    let boundary = buffer.indexOf('\n\n');
    while (boundary >= 0) {
      const block = buffer.slice(0, boundary);
      buffer = buffer.slice(boundary + 2);
      boundary = buffer.indexOf('\n\n');
      const type = /^event: (.+)$/m.exec(block)?.[1];
      const data = /^data: (.+)$/m.exec(block)?.[1];
      if (!type || !data) continue;
      const event = JSON.parse(data) as Record<string, unknown>;
      if (json) {
        process.stdout.write(`${JSON.stringify({ type, ...event })}\n`);
      } else {
        const clock = String(event.timestamp ?? '').slice(11, 19);
        const text =
          type === 'task-step-started'
            ? `${pc.cyan('▶')} ${String(event.step)}`
            : type === 'task-step-finished'
              ? `${event.status === 'completed' ? pc.green('✓') : event.status === 'skipped' ? pc.dim('-') : pc.red('✗')} ${String(event.step)}${
                  event.duration_ms === undefined ? '' : pc.dim(` ${String(event.duration_ms)} ms`)
                }${event.detail ? pc.dim(`  ${String(event.detail).split('\n')[0]}`) : ''}`
              : type === 'task-log'
                ? pc.dim(String(event.message))
                : type === 'task-done'
                  ? `${pc.bold('done')}: ${paintStatus(String(event.status))}${event.reason ? ` — ${String(event.reason)}` : ''}${
                      (event.pull_request as { url?: string } | undefined)?.url ? ` ${pc.cyan(String((event.pull_request as { url: string }).url))}` : ''
                    }`
                  : `${type} ${paintStatus(String(event.status ?? ''))}`;
        process.stdout.write(`${pc.dim(clock)} ${text}\n`);
      }
      if (type === 'task-done') status = String(event.status);
    }
  }
  return status;
}

/** `atb task create|list|show|watch|cancel`: the coding agent's tasks. */
export function registerTask(program: Command, config: () => CliConfig): void {
  const task = program.command('task').description('coding tasks: requirement → tested pull request');

  task
    .command('create')
    .description('create a coding task (prints its id; --watch follows it to the end)')
    .requiredOption('-r, --repository <owner/name>', 'repository (must be in the agent’s ALLOWED_REPOSITORIES)')
    .requiredOption('-m, --requirement <text>', 'what to change')
    .option('-b, --base-branch <branch>', 'branch to start from (default: the repository’s default)')
    .option('-i, --incident <id>', 'incident this task comes from (linked in the pull request)')
    .option('-a, --allowed-path <path...>', 'the only paths the task may change (protected ones included)')
    .option('-w, --watch', 'follow the task until it ends')
    .option('--json', 'machine-readable output')
    .action(async (options: { repository: string; requirement: string; baseBranch?: string; incident?: string; allowedPath?: string[]; watch?: boolean; json?: boolean }) => {
      const created = await call<{ task_id: string }>(config(), 'POST', '/tasks', {
        repository: options.repository,
        requirement: options.requirement,
        ...(options.baseBranch ? { base_branch: options.baseBranch } : {}),
        ...(options.incident ? { incident_id: options.incident } : {}),
        ...(options.allowedPath ? { allowed_paths: options.allowedPath } : {}),
      });
      process.stdout.write(options.json ? `${JSON.stringify(created)}\n` : `${created.task_id}\n`);
      if (options.watch) {
        const status = await watch(config(), created.task_id, options.json === true);
        if (status !== 'completed' && status !== 'no_change_needed') process.exitCode = 1;
      }
    });

  task
    .command('list')
    .description('list tasks, newest first')
    .option('-s, --status <status>', 'only this status')
    .option('--json', 'machine-readable output')
    .action(async (options: { status?: string; json?: boolean }) => {
      const query = options.status ? `?status=${encodeURIComponent(options.status)}` : '';
      const result = await call<{ tasks: TaskView[]; running: number; queued: number }>(config(), 'GET', `/tasks${query}`);
      if (options.json) {
        process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
        return;
      }
      for (const entry of result.tasks) {
        process.stdout.write(
          `${entry.task_id}  ${paintStatus(entry.status).padEnd(26)} ${entry.repository.padEnd(24)} ${entry.requirement.slice(0, 50)}${
            entry.pull_request ? `  ${pc.cyan(entry.pull_request.url)}` : ''
          }\n`,
        );
      }
      process.stdout.write(pc.dim(`${result.tasks.length} tasks; ${result.running} running, ${result.queued} queued\n`));
    });

  task
    .command('show <task-id>')
    .description('a task with its steps, plan, changes, tests, pull request and cost')
    .option('--json', 'machine-readable output')
    .action(async (taskId: string, options: { json?: boolean }) => {
      const view = await call<TaskView>(config(), 'GET', `/tasks/${encodeURIComponent(taskId)}`);
      if (options.json) process.stdout.write(`${JSON.stringify(view, null, 2)}\n`);
      else printTask(view);
    });

  task
    .command('watch <task-id>')
    .description('follow a task’s progress (server-sent events) until it ends')
    .option('--json', 'one JSON object per event')
    .action(async (taskId: string, options: { json?: boolean }) => {
      const status = await watch(config(), taskId, options.json === true);
      if (!FINAL.has(status) || (status !== 'completed' && status !== 'no_change_needed')) process.exitCode = 1;
    });

  task
    .command('cancel <task-id>')
    .description('cancel a queued or running task')
    .action(async (taskId: string) => {
      const view = await call<TaskView>(config(), 'POST', `/tasks/${encodeURIComponent(taskId)}/cancel`);
      process.stdout.write(`${view.task_id} ${paintStatus(view.status)}\n`);
    });
}
