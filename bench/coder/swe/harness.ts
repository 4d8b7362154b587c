/**
 * A bug-fix benchmark harness in the SWE-bench shape: JSONL instances (repository, base commit,
 * problem statement, FAIL_TO_PASS, PASS_TO_PASS, test command, gold edit), each repository a
 * fixture directory turned into a git repository at run time with a deterministic commit, so
 * `base_commit` is checked. The coding agent gets the problem statement as a task on the local
 * forge; its pushed branch is then evaluated like SWE-bench does: the instance's test files are
 * restored from the base commit, the test command runs in the sandbox, and the instance is
 * resolved when every FAIL_TO_PASS and every PASS_TO_PASS test passes.
 *
 * With the scripted model the planner and the coder answer from the instance (its gold edit):
 * that proves the harness end to end. With a real model (LLM_* settings) it measures the agent.
 */
import { execFile } from 'node:child_process';
import { cp, mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { createOpenAICompatible } from '@ai-sdk/openai-compatible';
import { type ScriptedOpenAIServer, startScriptedOpenAIServer } from '@atb/testing';
import type { LanguageModel } from 'ai';
import { buildCodingAgent } from '../../../apps/coding-agent/src/app.js';
import { readConfig } from '../../../apps/coding-agent/src/config.js';
import { LocalForge } from '../../../apps/coding-agent/src/forge/local-forge.js';
import { BwrapSandbox } from '../../../apps/coding-agent/src/sandbox/bwrap-sandbox.js';
import type { Sandbox } from '../../../apps/coding-agent/src/sandbox/sandbox.js';
import type { Task } from '../../../apps/coding-agent/src/tasks/task.js';
import { parseTestOutcomes } from '../../../apps/coding-agent/src/tester/test-output.js';

const run = promisify(execFile);

export const SWE_DIRECTORY = resolve(import.meta.dirname);

/** One benchmark instance (SWE-bench field names where they exist). */
export interface SweInstance {
  instance_id: string;
  /** Fixture directory under `fixtures/`, turned into a repository at run time (unless `bundle` is set). */
  repo: string;
  /** A `git bundle` file (absolute, or relative to this directory) to clone instead of the fixture. */
  bundle?: string;
  /** The commit the fixture becomes (deterministic author, committer and dates). */
  base_commit: string;
  problem_statement: string;
  FAIL_TO_PASS: string[];
  PASS_TO_PASS: string[];
  test_command: string[];
  /** Paths restored from the base commit before evaluation (the agent may not grade itself). */
  test_files: string[];
  /** The reference fix as an edit block (what the scripted model answers). */
  gold_edit: string;
}

export interface InstanceResult {
  instance_id: string;
  status: Task['status'];
  resolved: boolean;
  fail_to_pass: { passed: number; total: number };
  pass_to_pass: { passed: number; total: number };
  seconds: number;
  tokens: number;
  cost_usd: number;
  iterations: number;
  reason?: string;
}

export async function loadInstances(file = join(SWE_DIRECTORY, 'instances.jsonl')): Promise<SweInstance[]> {
  const text = await readFile(file, 'utf8');
  return text
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line, index) => {
      try {
        return JSON.parse(line) as SweInstance;
      } catch (error) {
        throw new Error(`${file}:${index + 1}: not JSON (${(error as Error).message})`);
      }
    });
}

const FIXED_IDENTITY = {
  GIT_AUTHOR_NAME: 'Fixture',
  GIT_AUTHOR_EMAIL: 'fixture@example.com',
  GIT_AUTHOR_DATE: '2026-01-01T00:00:00Z',
  GIT_COMMITTER_NAME: 'Fixture',
  GIT_COMMITTER_EMAIL: 'fixture@example.com',
  GIT_COMMITTER_DATE: '2026-01-01T00:00:00Z',
};

/** Turns `fixtures/<repo>` into a git repository at `target` with one deterministic commit; answers its id. */
export async function materializeRepository(repo: string, target: string): Promise<string> {
  await cp(join(SWE_DIRECTORY, 'fixtures', repo), target, { recursive: true });
  const environment = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: target, ...FIXED_IDENTITY };
  const git = (...args: string[]) => run('git', ['-c', 'core.fileMode=false', ...args], { cwd: target, env: environment });
  await git('init', '--quiet', '--initial-branch=main');
  await run('chmod', ['-R', 'u=rwX,go=rX', target]);
  await git('add', '-A');
  await git('commit', '--quiet', '--no-gpg-sign', '-m', `fixture ${repo}`);
  return (await git('rev-parse', 'HEAD')).stdout.trim();
}

/** Clones a `git bundle` and checks out `baseCommit` on `main`; answers the commit. */
export async function cloneBundle(bundle: string, baseCommit: string, target: string): Promise<string> {
  await run('git', ['clone', '--quiet', bundle, target]);
  if (baseCommit) await run('git', ['checkout', '--quiet', '-B', 'main', baseCommit], { cwd: target });
  return (await run('git', ['rev-parse', 'HEAD'], { cwd: target })).stdout.trim();
}

/** Runs the instance's tests on `directory` in the sandbox; per-test outcomes by name. */
async function testOutcomes(sandbox: Sandbox, directory: string, instance: SweInstance): Promise<Map<string, boolean>> {
  const result = await sandbox.run({
    workspace: directory,
    command: instance.test_command,
    env: { NO_COLOR: '1', CI: 'true' },
    timeoutMs: 60_000,
    memoryBytes: 1024 ** 3,
  });
  return new Map((parseTestOutcomes(`${result.stdout}\n${result.stderr}`) ?? []).map((test) => [test.name, test.passed]));
}

function count(names: string[], outcomes: Map<string, boolean>): { passed: number; total: number } {
  return { passed: names.filter((name) => outcomes.get(name) === true).length, total: names.length };
}

/** Checks an instance is well-formed: at its base commit the FAIL_TO_PASS tests fail and the PASS_TO_PASS tests pass. */
export async function validateInstance(sandbox: Sandbox, repository: string, instance: SweInstance): Promise<string | undefined> {
  const outcomes = await testOutcomes(sandbox, repository, instance);
  const wrongFail = instance.FAIL_TO_PASS.filter((name) => outcomes.get(name) !== false);
  const wrongPass = instance.PASS_TO_PASS.filter((name) => outcomes.get(name) !== true);
  if (wrongFail.length + wrongPass.length === 0) return undefined;
  return `at the base commit, FAIL_TO_PASS not failing: [${wrongFail.join(', ')}]; PASS_TO_PASS not passing: [${wrongPass.join(', ')}]`;
}

/** The scripted model: plans and fixes each instance from its gold edit (found by its problem statement). */
export async function startScriptedModel(instances: SweInstance[]): Promise<ScriptedOpenAIServer> {
  return startScriptedOpenAIServer((request) => {
    const body = JSON.stringify(request.body);
    const instance = instances.find((candidate) => body.includes(JSON.stringify(candidate.problem_statement).slice(1, -1)));
    if (!instance) return { status: 400, error_body: { error: { message: 'no scripted instance matches the prompt' } } };
    const files = [...instance.gold_edit.matchAll(/^(\S+)\n<<<<<<< SEARCH$/gm)].map((match) => match[1] as string);
    if (body.includes('planning a change')) {
      return {
        content: JSON.stringify({
          complexity: 1,
          files_to_modify: files,
          new_files_needed: [],
          dependencies: [],
          risks: [],
          estimated_time_minutes: 5,
          summary: `Fix: ${instance.problem_statement}`,
        }),
      };
    }
    return { content: `The fix:\n\n${instance.gold_edit}` };
  });
}

export interface HarnessOptions {
  instances: SweInstance[];
  /** The model; undefined builds it from the LLM_* settings in `environment`. */
  model?: LanguageModel;
  /** Settings for the coding agent (as environment variables). */
  environment?: Record<string, string | undefined>;
  /** Report progress. */
  onResult?: (result: InstanceResult) => void;
}

/** Runs every instance through the coding agent and evaluates the result. */
export async function runHarness(options: HarnessOptions): Promise<{ results: InstanceResult[]; invalid: Record<string, string> }> {
  const root = await mkdtemp(join(tmpdir(), 'atb-swe-'));
  const sandbox = new BwrapSandbox();
  const forge = new LocalForge({ directory: join(root, 'forge') });
  const invalid: Record<string, string> = {};
  const results: InstanceResult[] = [];
  try {
    const ready: SweInstance[] = [];
    for (const instance of options.instances) {
      const repository = join(root, 'repositories', instance.instance_id);
      await mkdir(join(root, 'repositories'), { recursive: true });
      const commit = instance.bundle
        ? await cloneBundle(resolve(SWE_DIRECTORY, instance.bundle), instance.base_commit, repository)
        : await materializeRepository(instance.repo, repository);
      if (instance.base_commit && commit !== instance.base_commit) {
        invalid[instance.instance_id] = `base_commit mismatch: the fixture became ${commit}, the instance says ${instance.base_commit}`;
        continue;
      }
      const problem = await validateInstance(sandbox, repository, instance);
      if (problem) {
        invalid[instance.instance_id] = problem;
        continue;
      }
      await forge.ensureRepository(`swe/${instance.instance_id}`, repository);
      ready.push(instance);
    }
    const config = readConfig({
      ...options.environment,
      DATA_DIR: join(root, 'data'),
      WORKSPACE_BASE_PATH: join(root, 'workspaces'),
      ALLOWED_REPOSITORIES: ready.map((instance) => `swe/${instance.instance_id}`).join(','),
      LOG_LEVEL: 'silent',
      MAX_CONCURRENT_TASKS: '1',
    });
    const agent = await buildCodingAgent(config, { logger: false, forge, sandbox, ...(options.model ? { model: options.model } : {}) });
    try {
      for (const instance of ready) {
        const started = performance.now();
        const created = await agent.app.inject({
          headers: { authorization: `Bearer ${agent.token}` },
          method: 'POST',
          url: '/tasks',
          payload: { repository: `swe/${instance.instance_id}`, requirement: instance.problem_statement },
        });
        if (created.statusCode !== 202) throw new Error(`POST /tasks answered ${created.statusCode}: ${created.body}`);
        const taskId = created.json().task_id as string;
        let task: Task;
        for (;;) {
          task = (await agent.app.inject({ method: 'GET', url: `/tasks/${taskId}`, headers: { authorization: `Bearer ${agent.token}` } })).json() as Task;
          if (!['queued', 'running'].includes(task.status)) break;
          await new Promise((done) => setTimeout(done, 50));
        }
        const seconds = (performance.now() - started) / 1000;
        let outcomes = new Map<string, boolean>();
        if (task.status === 'completed' && task.branch) {
          // Evaluate the pushed branch, with the test files as they were at the base commit.
          const evaluation = join(root, 'evaluation', instance.instance_id);
          await run('git', ['clone', '--quiet', '--branch', task.branch, forge.remoteUrl(`swe/${instance.instance_id}`), evaluation]);
          await run('git', ['checkout', instance.base_commit || (task.base_commit as string), '--', ...instance.test_files], { cwd: evaluation });
          outcomes = await testOutcomes(sandbox, evaluation, instance);
        }
        const failToPass = count(instance.FAIL_TO_PASS, outcomes);
        const passToPass = count(instance.PASS_TO_PASS, outcomes);
        const result: InstanceResult = {
          instance_id: instance.instance_id,
          status: task.status,
          resolved: failToPass.passed === failToPass.total && passToPass.passed === passToPass.total && task.status === 'completed',
          fail_to_pass: failToPass,
          pass_to_pass: passToPass,
          seconds: Number(seconds.toFixed(2)),
          tokens: task.tokens.total,
          cost_usd: task.cost_usd,
          iterations: task.iterations,
          ...(task.reason ? { reason: task.reason } : {}),
        };
        results.push(result);
        options.onResult?.(result);
      }
    } finally {
      await agent.close();
    }
    return { results, invalid };
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}

/** The scripted model as an AI SDK model. */
export function scriptedModel(server: ScriptedOpenAIServer): LanguageModel {
  return createOpenAICompatible({ name: 'scripted', baseURL: server.url }).chatModel('scripted-swe');
}
