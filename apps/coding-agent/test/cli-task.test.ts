import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createProgram } from '@atb/cli';
import { captureOutput } from '@atb/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildCodingAgent, type CodingAgent } from '../src/app.js';
import { readConfig } from '../src/config.js';

/** `atb task …` through the real command tree against a coding agent listening on a socket. */
describe('atb task (the CLI against a running coding agent)', () => {
  let directory: string;
  let agent: CodingAgent;
  let url: string;

  beforeAll(async () => {
    directory = await mkdtemp(join(tmpdir(), 'atb-cli-task-'));
    agent = await buildCodingAgent(
      readConfig({
        API_PORT: '0',
        DATA_DIR: directory,
        WORKSPACE_BASE_PATH: join(directory, 'workspaces'),
        ENABLE_SANDBOXING: 'false',
        LOG_LEVEL: 'silent',
        ALLOWED_REPOSITORIES: 'atb/market-predictor',
      }),
      { logger: false },
    );
    url = await agent.listen();
  });
  afterAll(async () => {
    await agent?.close();
    await rm(directory, { recursive: true, force: true });
  });

  /** Runs one `atb` command line; answers its standard output (without colour codes) and exit code. */
  async function atb(...words: string[]): Promise<{ stdout: string; exitCode: number }> {
    const previous = { ...process.env };
    process.env.CODING_AGENT_URL = url;
    process.env.CODING_AGENT_TOKEN = agent.token;
    try {
      const { stdout, exitCode } = await captureOutput(() => createProgram().parseAsync(['node', 'atb', ...words]));
      return { stdout: stdout.replace(/\u001b\[[0-9;]*m/g, ''), exitCode };
    } finally {
      process.env = previous;
    }
  }

  it('creates, watches, lists and shows a task; the agent says why it failed', async () => {
    const created = await atb('task', 'create', '-r', 'atb/market-predictor', '-m', 'fix the EMA span', '-i', 'inc_42', '--json');
    const { task_id: taskId } = JSON.parse(created.stdout) as { task_id: string };
    expect(taskId).toBeTruthy();

    // With no model configured the task fails at once, with the reason: watch follows it to the end.
    const watched = await atb('task', 'watch', taskId);
    expect(watched.stdout).toContain('failed');
    expect(watched.exitCode).toBe(1);

    const listed = JSON.parse((await atb('task', 'list', '--json')).stdout) as { tasks?: { task_id: string }[] } | { task_id: string }[];
    const tasks = Array.isArray(listed) ? listed : (listed.tasks ?? []);
    expect(tasks.map((task) => task.task_id)).toContain(taskId);

    const shown = JSON.parse((await atb('task', 'show', taskId, '--json')).stdout) as { status: string; reason: string; incident_id: string };
    expect(shown).toMatchObject({ status: 'failed', incident_id: 'inc_42', reason: expect.stringMatching(/LLM_PROVIDER/) });
    const human = await atb('task', 'show', taskId);
    expect(human.stdout).toContain('requirement: fix the EMA span');
    expect(human.stdout).toContain('incident: inc_42');
  });

  it('refuses a repository the agent does not allow, naming it', async () => {
    await expect(atb('task', 'create', '-r', 'evil/repo', '-m', 'x')).rejects.toThrow(/403|not allowed|ALLOWED_REPOSITORIES/i);
  });

  it('cannot cancel a finished task', async () => {
    const { task_id: taskId } = JSON.parse((await atb('task', 'create', '-r', 'atb/market-predictor', '-m', 'y', '--json')).stdout) as { task_id: string };
    await atb('task', 'watch', taskId);
    await expect(atb('task', 'cancel', taskId)).rejects.toThrow(/409|finished|already/i);
  });
});
