import { readFile } from 'node:fs/promises';
import { applyEditBlocks } from '../coder/apply-blocks.js';
import { CODER_SYSTEM, coderPrompt, noChangeExplanation } from '../coder/coder-prompt.js';
import { parseEditBlocks } from '../coder/edit-blocks.js';
import type { ModelClient } from '../model/model-client.js';
import type { Sandbox } from '../sandbox/sandbox.js';
import { checkWritablePath, type PathPolicyOptions } from '../security/path-policy.js';
import type { Task, TestRun } from '../tasks/task.js';
import type { RepositoryCommands } from '../tester/command-detection.js';
import { acceptRun, type RunLimits, regressions, runInSandbox } from '../tester/run-in-sandbox.js';
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

/** What one round found out: end with a change or no change, or go round again with feedback. */
type RoundResult = ImplementOutcome | { kind: 'retry'; feedback: string };

/** The loop's memory across rounds: files edited and named in failures, failures seen. */
interface LoopMemory {
  loops: LoopDetector;
  edited: Set<string>;
  mentioned: Set<string>;
}

async function askForEdits(task: Task, options: ImplementOptions, memory: LoopMemory, iteration: number, feedback?: string): Promise<string> {
  const plan = task.plan as NonNullable<Task['plan']>;
  const files = await readContextFiles(options.workspace, [...plan.files_to_modify, ...memory.edited, ...memory.mentioned], options.policy);
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
  return answer;
}

/**
 * Applies the answer's edit blocks (each through the path policy), recording every report and
 * refusal on the task. Answers the feedback on blocks that did not apply, or a result when the
 * round ends here (no change needed, or nothing applied).
 */
async function applyAnswer(
  recorder: TaskRecorder,
  options: ImplementOptions,
  memory: LoopMemory,
  iteration: number,
  answer: string,
): Promise<RoundResult | { kind: 'applied'; problems: string[] }> {
  const task = recorder.task;
  const parsed = parseEditBlocks(answer);
  if (parsed.blocks.length === 0) {
    const explanation = noChangeExplanation(answer);
    if (explanation !== undefined && memory.edited.size === 0) return { kind: 'no_change', explanation };
    if (memory.loops.repeated('edit', answer.trim())) throw new WorkflowStop('loop detected: the model gave the same answer without edits twice');
    await recorder.log(`iteration ${iteration}: no edit blocks in the answer`);
    return { kind: 'retry', feedback: `Your answer contained no edit blocks. ${parsed.errors.join('; ')}` };
  }
  const outcome = await applyEditBlocks(options.workspace, parsed.blocks, options.policy, iteration);
  task.edits.push(...outcome.reports);
  for (const report of outcome.reports) {
    if (report.outcome === 'refused') {
      task.security_findings.push({ rule: 'edit-refused', severity: 'block', path: report.path, message: report.detail ?? 'refused' });
    }
    await recorder.log(`iteration ${iteration}: ${report.path}: ${report.outcome}${report.detail ? ` (${report.detail})` : ''}`);
  }
  for (const path of outcome.changed) memory.edited.add(path);
  await recorder.save();
  if (outcome.changed.length === 0) {
    const blockSignature = parsed.blocks.map((block) => `${block.path}\n${block.search}\n=\n${block.replace}`).join('\n---\n');
    if (memory.loops.repeated('edit', blockSignature)) {
      throw new WorkflowStop(`loop detected: the same failing edit twice (${outcome.feedback.join(' ').slice(0, 300)})`);
    }
    return { kind: 'retry', feedback: outcome.feedback.join('\n\n') };
  }
  await assertWorkspaceSize(options, 'the workspace grew');
  return { kind: 'applied', problems: outcome.feedback.length > 0 ? [outcome.feedback.join('\n\n')] : [] };
}

async function assertWorkspaceSize(options: ImplementOptions, what: string): Promise<void> {
  const size = await measureDirectorySize(options.workspace, options.maxWorkspaceBytes);
  if (size > options.maxWorkspaceBytes) throw new WorkflowStop(`${what} beyond MAX_WORKSPACE_SIZE (${options.maxWorkspaceBytes} bytes)`);
}

function runLimits(options: ImplementOptions): RunLimits {
  return {
    timeoutMs: options.testTimeoutMs,
    memoryBytes: options.memoryBytes,
    workspaceLimitBytes: options.maxWorkspaceBytes,
    fileSizeLimitBytes: options.maxWorkspaceBytes,
    ...(options.commands.readOnlyPaths ? { readOnlyPaths: options.commands.readOnlyPaths } : {}),
    signal: options.signal,
  };
}

/**
 * The repository's check, or else a syntax check of the files edited so far. A check that
 * already failed before the change is logged, not blocking: the tests decide.
 */
async function runCheck(recorder: TaskRecorder, options: ImplementOptions, memory: LoopMemory, iteration: number, problems: string[]): Promise<RoundResult | undefined> {
  const task = recorder.task;
  const checkCommand = options.commands.check ?? syntaxCheckCommand([...memory.edited]);
  if (!checkCommand) return undefined;
  const check = await runInSandbox(options.sandbox, options.workspace, checkCommand, runLimits(options));
  task.test_results.check = [...(task.test_results.check ?? []), check];
  await recorder.log(`iteration ${iteration}: check ${check.passed ? 'passed' : 'failed'}`, { duration_ms: check.duration_ms });
  if (check.passed) return undefined;
  const failingBefore = options.commands.check !== undefined && task.test_results.baseline_check !== undefined && !task.test_results.baseline_check.passed;
  if (failingBefore) {
    await recorder.log(`iteration ${iteration}: the check was failing before the change too; not blocking, the tests decide`);
    return undefined;
  }
  if (memory.loops.repeated('check', normalizeTestOutput(check.output))) throw new WorkflowStop('loop detected: the same failing check output twice');
  for (const path of filesInOutput(options.workspace, check.output)) memory.mentioned.add(path);
  await recorder.save();
  return { kind: 'retry', feedback: [...problems, describeRun('check', check, [])].join('\n\n') };
}

/** The tests in the sandbox: accepted when nothing that passed before fails now. */
async function runTests(recorder: TaskRecorder, options: ImplementOptions, memory: LoopMemory, iteration: number, problems: string[]): Promise<RoundResult> {
  const task = recorder.task;
  const changed: ImplementOutcome = { kind: 'changed', paths: [...memory.edited] };
  if (!options.commands.test) {
    await recorder.log('no test command detected: the change is checked but not tested');
    return changed;
  }
  const run = await runInSandbox(options.sandbox, options.workspace, options.commands.test, runLimits(options));
  task.test_results.runs.push(run);
  const lost = regressions(task.test_results.baseline, run);
  await recorder.log(`iteration ${iteration}: tests ${run.passed ? 'passed' : 'failed'}`, { duration_ms: run.duration_ms });
  await recorder.save();
  await assertWorkspaceSize(options, 'the tests grew the workspace');
  const verdict = acceptRun(task.test_results.baseline, run);
  if (verdict.note) await recorder.log(verdict.note);
  if (verdict.accepted) {
    task.test_results.final = run;
    return changed;
  }
  if (memory.loops.repeated('test', normalizeTestOutput(run.output))) {
    throw new WorkflowStop(`loop detected: the same failing test output twice (last edit in iteration ${iteration})`);
  }
  for (const path of filesInOutput(options.workspace, run.output)) memory.mentioned.add(path);
  return { kind: 'retry', feedback: [...problems, describeRun('test', run, lost)].join('\n\n') };
}

/**
 * The coder's loop: ask for edit blocks, apply them block by block, check, test in the sandbox,
 * feed failures back; stop on success, on the iteration cap, on the token budget, or when the
 * same failing edit or the same failing output comes back (loop detection).
 */
export async function implement(recorder: TaskRecorder, options: ImplementOptions): Promise<ImplementOutcome> {
  const task: Task = recorder.task;
  if (!task.plan) throw new Error('no plan to implement');
  const memory: LoopMemory = { loops: new LoopDetector(), edited: new Set(), mentioned: new Set() };
  let feedback: string | undefined;
  for (let iteration = 1; iteration <= options.maxIterations; iteration += 1) {
    options.signal.throwIfAborted();
    task.iterations = iteration;
    const answer = await askForEdits(task, options, memory, iteration, feedback);
    const applied = await applyAnswer(recorder, options, memory, iteration, answer);
    const result =
      applied.kind === 'applied'
        ? ((await runCheck(recorder, options, memory, iteration, applied.problems)) ?? (await runTests(recorder, options, memory, iteration, applied.problems)))
        : applied;
    if (result.kind !== 'retry') return result;
    feedback = result.feedback;
  }
  throw new WorkflowStop(`no passing change after ${options.maxIterations} iterations (TASK_MAX_ITERATIONS)`);
}
