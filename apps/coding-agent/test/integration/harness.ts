import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createOpenAICompatible } from '@ai-sdk/openai-compatible';
import { type RecordedRequest, type ScriptedReply, startScriptedOpenAIServer } from '@atb/testing';
import { simpleGit } from 'simple-git';
import { buildCodingAgent, type CodingAgent } from '../../src/app.js';
import { readConfig } from '../../src/config.js';
import { LocalForge } from '../../src/forge/local-forge.js';
import type { Task } from '../../src/tasks/task.js';

/** The task API's bearer token in these tests (the coding agent's CODING_AGENT_API_TOKEN). */
export const TEST_API_TOKEN = 'integration-test-token-0123456789';
/** The header that authenticates a test's requests to the task API. */
export const AUTHORIZATION = { authorization: `Bearer ${TEST_API_TOKEN}` };

/** The buggy fixture: `add` subtracts; `multiply` works (a test that must stay green). */
export const FIXTURE_FILES: Record<string, string> = {
  'package.json': `${JSON.stringify({ name: 'fixture', version: '1.0.0', type: 'module', scripts: { test: 'node --test' } }, null, 2)}\n`,
  '.atb/instructions.json': `${JSON.stringify({ test: ['node', '--test'], check: ['node', '--check', 'src/math.js'] }, null, 2)}\n`,
  'src/math.js': [
    '/**',
    ' * @param {number} a',
    ' * @param {number} b',
    ' * @returns {number}',
    ' */',
    'export function add(a, b) {',
    '  return a - b;',
    '}',
    '',
    '/** @param {number} a @param {number} b */',
    'export function multiply(a, b) {',
    '  return a * b;',
    '}',
    '',
  ].join('\n'),
  'test/math.test.js': [
    "import assert from 'node:assert/strict';",
    "import { test } from 'node:test';",
    "import { add, multiply } from '../src/math.js';",
    '',
    "test('add adds', () => {",
    '  assert.equal(add(2, 3), 5);',
    '  assert.equal(add(-1, 1), 0);',
    '});',
    '',
    "test('multiply multiplies', () => {",
    '  assert.equal(multiply(2, 3), 6);',
    '});',
    '',
  ].join('\n'),
  'README.md': '# fixture\n',
};

/** Writes `files` into a new git repository with one commit on `main`. */
export async function createRepository(
  directory: string,
  files: Record<string, string>,
  symlinks: Record<string, string> = {},
): Promise<string> {
  for (const [path, content] of Object.entries(files)) {
    await mkdir(dirname(join(directory, path)), { recursive: true });
    await writeFile(join(directory, path), content);
  }
  for (const [path, target] of Object.entries(symlinks)) {
    await mkdir(dirname(join(directory, path)), { recursive: true });
    await symlink(target, join(directory, path));
  }
  const git = simpleGit(directory);
  await git.init(['--initial-branch=main', '--quiet']);
  await git.add(['-A']);
  await git.raw(['-c', 'user.name=Fixture', '-c', 'user.email=fixture@example.com', 'commit', '-q', '-m', 'initial']);
  return directory;
}

export const PLAN_REPLY = JSON.stringify({
  complexity: 1,
  files_to_modify: ['src/math.js'],
  new_files_needed: [],
  dependencies: [],
  risks: ['multiply must keep working'],
  estimated_time_minutes: 5,
  summary: 'Make add() add instead of subtract.',
});

/** A reply of the scripted model: the edit block for `path`. */
export function editReply(path: string, search: string, replace: string, prose = 'Here is the change.'): ScriptedReply {
  return { content: `${prose}\n\n${path}\n<<<<<<< SEARCH\n${search}\n=======\n${replace}\n>>>>>>> REPLACE\n` };
}

/** Is this chat request the planner's (as opposed to the coder's)? */
export function isPlannerRequest(request: RecordedRequest): boolean {
  return JSON.stringify(request.body?.messages?.[0] ?? '').includes('planning a change');
}

export interface Harness {
  /** The running agent (replaced by `restart`). */
  agent: CodingAgent;
  forge: LocalForge;
  /** Temporary directory holding everything; workspaces are in `<root>/workspaces`. */
  root: string;
  /** The bare remote of `atb/fixture`. */
  remote: string;
  modelRequests: RecordedRequest[];
  waitForTask(taskId: string, timeoutMs?: number): Promise<Task>;
  /** Shuts the agent down in order (as on SIGTERM) and starts a new one on the same data. */
  restart(): Promise<void>;
  close(): Promise<void>;
}

export interface HarnessOptions {
  /** The coder's replies: called with how many coder requests came before. */
  coder: (index: number, request: RecordedRequest) => ScriptedReply;
  files?: Record<string, string>;
  /** Symbolic links committed into the fixture: path → target (given the harness's root directory). */
  symlinks?: (root: string) => Record<string, string>;
  /** Runs before the repository is created (e.g. to plant files outside the workspace). */
  prepare?: (root: string) => Promise<void>;
  environment?: Record<string, string>;
}

/**
 * A coding agent on real parts: a fixture repository behind the local forge (a bare git
 * remote), the real bubblewrap sandbox, a SQLite store, and the scripted OpenAI-compatible
 * server as the model.
 */
export async function startHarness(options: HarnessOptions): Promise<Harness> {
  const root = await mkdtemp(join(tmpdir(), 'atb-coder-e2e-'));
  await options.prepare?.(root);
  const source = await createRepository(join(root, 'source'), options.files ?? FIXTURE_FILES, options.symlinks?.(root));
  const forge = new LocalForge({ directory: join(root, 'forge') });
  const remote = await forge.ensureRepository('atb/fixture', source);
  let coderCalls = 0;
  const server = await startScriptedOpenAIServer((request) => {
    if (isPlannerRequest(request)) return { content: PLAN_REPLY };
    const reply = options.coder(coderCalls, request);
    coderCalls += 1;
    return reply;
  });
  const config = readConfig({
    CODING_AGENT_API_TOKEN: TEST_API_TOKEN,
    DATA_DIR: join(root, 'data'),
    WORKSPACE_BASE_PATH: join(root, 'workspaces'),
    ALLOWED_REPOSITORIES: 'atb/fixture',
    TESTING_TIMEOUT: '20',
    TASK_MAX_ITERATIONS: '4',
    LOG_LEVEL: 'silent',
    API_PORT: '0',
    ...options.environment,
  });
  const model = createOpenAICompatible({ name: 'scripted', baseURL: server.url }).chatModel('scripted-coder');
  const harness: Harness = {
    agent: await buildCodingAgent(config, { logger: false, forge, model }),
    forge,
    root,
    remote,
    modelRequests: server.requests,
    async waitForTask(taskId, timeoutMs = 60_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const response = await harness.agent.app.inject({ method: 'GET', url: `/tasks/${taskId}`, headers: AUTHORIZATION });
        const task = response.json() as Task;
        if (!['queued', 'running'].includes(task.status)) return task;
        if (Date.now() > deadline) throw new Error(`task ${taskId} still ${task.status} after ${timeoutMs} ms`);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    },
    async restart() {
      await harness.agent.close();
      harness.agent = await buildCodingAgent(config, { logger: false, forge, model });
    },
    async close() {
      await harness.agent.close();
      await server.close();
      await rm(root, { recursive: true, force: true });
    },
  };
  return harness;
}
