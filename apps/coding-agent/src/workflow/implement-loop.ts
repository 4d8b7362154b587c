import { readFile } from 'node:fs/promises';
import { applyEditBlocks } from '../coder/apply-blocks.js';
import { CODER_SYSTEM, coderPrompt, noChangeExplanation } from '../coder/coder-prompt.js';
import { parseEditBlocks } from '../coder/edit-blocks.js';
import type { ModelClient } from '../model/model-client.js';
import type { Sandbox } from '../sandbox/sandbox.js';
import { checkWritablePath, type PathPolicyOptions } from '../security/path-policy.js';
import type { Task, TestRun } from '../tasks/task.js';
import type { RepositoryCommands } from '../tester/command-detection.js';
import { acceptRun, regressions, runInSandbox } from '../tester/run-in-sandbox.js';
import { syntaxCheckCommand } from '../tester/syntax-check.js';
import { normalizeTestOutput } from '../tester/test-output.js';
import { LoopDetector } from './loop-detector.js';
import type { TaskRecorder } from './task-recorder.js';
import { measureDirectorySize } from '../workspace/workspace-size.js';

/** Stops the task with a report (loop, iterations, workspace size, refused edits only). */
export class WorkflowStop extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'WorkflowStop';
  }
}

export interface ImplementOptions {
  workspace: string;
  /** The repository map (files and exported symbols), shown to the coder for orientation. */
  repositoryMap?: string;
  model: ModelClient;
  sandbox: Sandbox;
  commands: RepositoryCommands;
  policy: PathPolicyOptions;
  maxIterations: number;
  testTimeoutMs: number;
  memoryBytes: number;
  maxWorkspaceBytes: number;
  signal: AbortSignal;
  /** Called after each model answer (tokens changed). */
  onUsage(): Promise<void>;
}

export type ImplementOutcome = { kind: 'changed'; paths: string[] } | { kind: 'no_change'; explanation: string };

const FILE_CONTEXT_LIMIT = 24_000;

async function readContextFiles(workspace: string, paths: Iterable<string>, policy: PathPolicyOptions) {
  const files: { path: string; content: string }[] = [];
  for (const path of new Set(paths)) {
    // Only files the agent could edit are shown (the same checks keep reads inside the workspace).
    const decision = await checkWritablePath(workspace, path, policy);
    if (!decision.ok) continue;
    const content = await readFile(decision.absolute, 'utf8').catch(() => undefined);
    if (content === undefined) continue;
    files.push({
      path: decision.relative,
      content: content.length > FILE_CONTEXT_LIMIT ? `${content.slice(0, FILE_CONTEXT_LIMIT)}\n… [cut]` : content,
    });
  }
  return files;
}

/** Workspace files named in test or check output (stack traces, TAP `location:`), relative. */
export function filesInOutput(workspace: string, output: string): string[] {
  const found = new Set<string>();
  const escaped = workspace.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  for (const match of output.matchAll(new RegExp(`(?:file://)?${escaped}/([\\w./-]+?\\.[A-Za-z]{1,5})(?=[:'"\\s)]|$)`, 'g'))) {
    if (match[1] && !match[1].startsWith('node_modules/') && !match[1].startsWith('.git/')) found.add(match[1]);
  }
  return [...found].slice(0, 8);
}

function describeRun(kind: string, run: TestRun, lost: string[]): string {
  return [
    `The ${kind} command \`${run.command.join(' ')}\` FAILED (exit ${run.exit_code}${run.timed_out ? ', timed out' : ''}${
      run.out_of_memory ? ', out of memory' : ''
    }).`,
    lost.length > 0 ? `These tests passed before your change and fail now: ${lost.join(', ')}.` : '',
    `Output:\n${run.output.slice(-4000)}`,
  ]
    .filter(Boolean)
    .join('\n');
}

/**
 * The coder's loop: ask for edit blocks, apply them block by block, check, test in the sandbox,
 * feed failures back; stop on success, on the iteration cap, on the token budget, or when the
 * same failing edit or the same failing output comes back (loop detection).
 */
export async function implement(recorder: TaskRecorder, options: ImplementOptions): Promise<ImplementOutcome> {
  const task: Task = recorder.task;
  const plan = task.plan;
  if (!plan) throw new Error('no plan to implement');
  const loops = new LoopDetector();
  const edited = new Set<string>();
  const mentioned = new Set<string>();
  let feedback: string | undefined;
  for (let iteration = 1; iteration <= options.maxIterations; iteration += 1) {
    options.signal.throwIfAborted();
    task.iterations = iteration;
    const files = await readContextFiles(
      options.workspace,
      [...plan.files_to_modify, ...edited, ...mentioned],
      options.policy,
    );
    const answer = await options.model.complete({
      system: CODER_SYSTEM,
      prompt: coderPrompt({
        requirement: task.requirement,
        plan,
        files,
        iteration,
        ...(options.commands.notes ? { notes: options.commands.notes } : {}),
        ...(options.repositoryMap ? { repositoryMap: options.repositoryMap } : {}),
        ...(feedback ? { feedback } : {}),
      }),
      signal: options.signal,
    });
    await options.onUsage();
    const parsed = parseEditBlocks(answer);
    if (parsed.blocks.length === 0) {
      const explanation = noChangeExplanation(answer);
      if (explanation !== undefined && edited.size === 0) return { kind: 'no_change', explanation };
      if (loops.repeated('edit', answer.trim())) throw new WorkflowStop('loop detected: the model gave the same answer without edits twice');
      feedback = `Your answer contained no edit blocks. ${parsed.errors.join('; ')}`;
      await recorder.log(`iteration ${iteration}: no edit blocks in the answer`);
      continue;
    }
    const outcome = await applyEditBlocks(options.workspace, parsed.blocks, options.policy, iteration);
    task.edits.push(...outcome.reports);
    for (const report of outcome.reports) {
      if (report.outcome === 'refused') {
        task.security_findings.push({ rule: 'edit-refused', severity: 'block', path: report.path, message: report.detail ?? 'refused' });
      }
      await recorder.log(`iteration ${iteration}: ${report.path}: ${report.outcome}${report.detail ? ` (${report.detail})` : ''}`);
    }
    for (const path of outcome.changed) edited.add(path);
    await recorder.save();
    const blockSignature = parsed.blocks.map((block) => `${block.path}\n${block.search}\n=\n${block.replace}`).join('\n---\n');
    if (outcome.changed.length === 0) {
      if (loops.repeated('edit', blockSignature)) {
        throw new WorkflowStop(`loop detected: the same failing edit twice (${outcome.feedback.join(' ').slice(0, 300)})`);
      }
      feedback = outcome.feedback.join('\n\n');
      continue;
    }
    const size = await measureDirectorySize(options.workspace, options.maxWorkspaceBytes);
    if (size > options.maxWorkspaceBytes) throw new WorkflowStop(`the workspace grew beyond MAX_WORKSPACE_SIZE (${options.maxWorkspaceBytes} bytes)`);
    const problems: string[] = outcome.feedback.length > 0 ? [outcome.feedback.join('\n\n')] : [];
    const limits = {
      timeoutMs: options.testTimeoutMs,
      memoryBytes: options.memoryBytes,
      workspaceLimitBytes: options.maxWorkspaceBytes,
      fileSizeLimitBytes: options.maxWorkspaceBytes,
      ...(options.commands.readOnlyPaths ? { readOnlyPaths: options.commands.readOnlyPaths } : {}),
      signal: options.signal,
    };
    // The repository's check, or else a syntax check of the files edited so far.
    const checkCommand = options.commands.check ?? syntaxCheckCommand([...edited]);
    if (checkCommand) {
      const check = await runInSandbox(options.sandbox, options.workspace, checkCommand, limits);
      task.test_results.check = [...(task.test_results.check ?? []), check];
      await recorder.log(`iteration ${iteration}: check ${check.passed ? 'passed' : 'failed'}`, { duration_ms: check.duration_ms });
      const failingBefore =
        options.commands.check !== undefined && task.test_results.baseline_check !== undefined && !task.test_results.baseline_check.passed;
      if (!check.passed && failingBefore) {
        await recorder.log(`iteration ${iteration}: the check was failing before the change too; not blocking, the tests decide`);
      } else if (!check.passed) {
        if (loops.repeated('check', normalizeTestOutput(check.output))) {
          throw new WorkflowStop('loop detected: the same failing check output twice');
        }
        for (const path of filesInOutput(options.workspace, check.output)) mentioned.add(path);
        feedback = [...problems, describeRun('check', check, [])].join('\n\n');
        await recorder.save();
        continue;
      }
    }
    if (options.commands.test) {
      const run = await runInSandbox(options.sandbox, options.workspace, options.commands.test, limits);
      task.test_results.runs.push(run);
      const lost = regressions(task.test_results.baseline, run);
      await recorder.log(`iteration ${iteration}: tests ${run.passed ? 'passed' : 'failed'}`, { duration_ms: run.duration_ms });
      await recorder.save();
      const grown = await measureDirectorySize(options.workspace, options.maxWorkspaceBytes);
      if (grown > options.maxWorkspaceBytes) {
        throw new WorkflowStop(`the tests grew the workspace beyond MAX_WORKSPACE_SIZE (${options.maxWorkspaceBytes} bytes)`);
      }
      const verdict = acceptRun(task.test_results.baseline, run);
      if (verdict.note) await recorder.log(verdict.note);
      if (!verdict.accepted) {
        if (loops.repeated('test', normalizeTestOutput(run.output))) {
          throw new WorkflowStop(`loop detected: the same failing test output twice (last edit in iteration ${iteration})`);
        }
        for (const path of filesInOutput(options.workspace, run.output)) mentioned.add(path);
        feedback = [...problems, describeRun('test', run, lost)].join('\n\n');
        continue;
      }
      task.test_results.final = run;
    } else {
      await recorder.log('no test command detected: the change is checked but not tested');
    }
    return { kind: 'changed', paths: [...edited] };
  }
  throw new WorkflowStop(`no passing change after ${options.maxIterations} iterations (TASK_MAX_ITERATIONS)`);
}
