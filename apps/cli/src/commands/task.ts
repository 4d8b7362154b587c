import { CodingAgentClient, type TaskStreamEvent } from '@atb/clients';
import { FINAL_TASK_STATUSES, type ListTasksQuery, type TaskView } from '@atb/contracts';
import type { Command } from 'commander';
import pc from 'picocolors';
import type { CliConfig } from '../config.js';
import { serviceToken } from './token.js';

const FINAL = new Set<string>(FINAL_TASK_STATUSES);

/** The coding agent's client with the CLI's token for it (CODING_AGENT_TOKEN, else its token file). */
export const codingAgentClient = (config: CliConfig) =>
  new CodingAgentClient({ baseUrl: config.CODING_AGENT_URL, timeoutMs: 10_000, token: () => serviceToken(config, 'coding-agent') });

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

/** One line for a task event. */
function describeEvent(type: string, event: TaskStreamEvent['data']): string {
  if (type === 'task-step-started') return `${pc.cyan('▶')} ${String(event.step)}`;
  if (type === 'task-step-finished') {
    const mark = event.status === 'completed' ? pc.green('✓') : event.status === 'skipped' ? pc.dim('-') : pc.red('✗');
    const took = event.duration_ms === undefined ? '' : pc.dim(` ${String(event.duration_ms)} ms`);
    return `${mark} ${String(event.step)}${took}${event.detail ? pc.dim(`  ${event.detail.split('\n')[0]}`) : ''}`;
  }
  if (type === 'task-log') return pc.dim(String(event.message));
  if (type === 'task-done') {
    const url = event.pull_request?.url;
    return `${pc.bold('done')}: ${paintStatus(String(event.status))}${event.reason ? ` — ${event.reason}` : ''}${url ? ` ${pc.cyan(url)}` : ''}`;
  }
  return `${type} ${paintStatus(String(event.status ?? ''))}`;
}

/** Follows `GET /tasks/:id/events` (server-sent events) until `task-done`; answers the final status. */
async function watch(config: CliConfig, taskId: string, json: boolean): Promise<string> {
  let status = 'unknown';
  for await (const { type, data } of codingAgentClient(config).streamEvents(taskId)) {
    if (json) process.stdout.write(`${JSON.stringify({ type, ...data })}\n`);
    else process.stdout.write(`${pc.dim(data.timestamp.slice(11, 19))} ${describeEvent(type, data)}\n`);
    if (type === 'task-done') status = String(data.status);
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
      const created = await codingAgentClient(config()).createTask({
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
      const result = await codingAgentClient(config()).listTasks({ status: options.status } as ListTasksQuery);
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
      const view = await codingAgentClient(config()).getTask(taskId);
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
      const view = await codingAgentClient(config()).cancelTask(taskId);
      process.stdout.write(`${view.task_id} ${paintStatus(view.status)}\n`);
    });
}
