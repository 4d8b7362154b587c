import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CodingAgentClient, DevopsAgentClient, tokenFromFile } from '@atb/clients';
import { buildCodingAgent, type CodingAgent, readConfig as readCodingConfig } from '@atb/coding-agent';
import { freePort, type ScriptedOpenAIServer, startScriptedOpenAIServer } from '@atb/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { alert, eventually, notification, startAgent } from '../support/agent-harness.js';
import { FakeTarget } from '../support/fake-target.js';

const PLAN = JSON.stringify({
  complexity: 1,
  files_to_modify: ['src/price.js'],
  new_files_needed: [],
  dependencies: [],
  risks: [],
  estimated_time_minutes: 5,
  summary: 'Check the error handling of price().',
});
const EXPLANATION = 'NO CHANGE NEEDED: price() already rejects negative input; the errors come from bad requests.';

/** A one-commit repository the coding agent's local forge is seeded with. */
async function createFixture(directory: string): Promise<string> {
  await mkdir(join(directory, 'src'), { recursive: true });
  await mkdir(join(directory, '.atb'), { recursive: true });
  await writeFile(join(directory, 'package.json'), `${JSON.stringify({ name: 'fixture', version: '1.0.0', type: 'module' })}\n`);
  await writeFile(join(directory, '.atb/instructions.json'), `${JSON.stringify({ test: ['node', '--check', 'src/price.js'] })}\n`);
  await writeFile(join(directory, 'src/price.js'), 'export function price(value) {\n  if (value < 0) throw new Error("negative");\n  return value;\n}\n');
  execFileSync('git', ['init', '--quiet', '--initial-branch=main'], { cwd: directory });
  execFileSync('git', ['add', '-A'], { cwd: directory });
  execFileSync('git', ['-c', 'user.name=Fixture', '-c', 'user.email=fixture@example.com', 'commit', '--quiet', '-m', 'initial'], { cwd: directory });
  return directory;
}

/**
 * A code-level incident handed to the real coding agent (its app on a real socket, the real
 * workflow, a scripted model that finds nothing to change): the incident shows the task's own
 * final status, `no_change_needed`, with its reason — in the API and on the dashboard.
 */
describe('a coding task that ends "no change needed"', () => {
  let root: string;
  let model: ScriptedOpenAIServer;
  let coding: CodingAgent;
  let codingUrl: string;
  let agent: Awaited<ReturnType<typeof startAgent>>;
  let agentUrl: string;
  let target: FakeTarget;

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'atb-coding-outcome-'));
    const source = await createFixture(join(root, 'source'));
    model = await startScriptedOpenAIServer((request) =>
      JSON.stringify(request.body?.messages?.[0] ?? '').includes('planning a change') ? { content: PLAN } : { content: EXPLANATION },
    );
    coding = await buildCodingAgent(
      readCodingConfig({
        API_HOST: '127.0.0.1',
        API_PORT: '0',
        DATA_DIR: join(root, 'coding'),
        WORKSPACE_BASE_PATH: join(root, 'workspaces'),
        ALLOWED_REPOSITORIES: 'atb/fixture',
        FORGE_SEED_REPOSITORIES: `atb/fixture=${source}`,
        ENABLE_SANDBOXING: 'false',
        LLM_PROVIDER: 'openai-compatible',
        LLM_BASE_URL: model.url,
        LLM_MODEL: 'scripted',
        LOG_LEVEL: 'silent',
      }),
      { logger: false },
    );
    codingUrl = await coding.listen();
    const nobody = `http://127.0.0.1:${await freePort()}`;
    target = new FakeTarget();
    await target.start();
    agent = await startAgent({
      API_HOST: '127.0.0.1',
      SAFETY_MODE: 'false',
      AUTO_ACTION_MIN_CONFIDENCE: '0.5',
      CODING_AGENT_URL: codingUrl,
      // The machine token the coding agent provisions for the devops agent (operator, its own principal).
      CODING_AGENT_TOKEN_FILE: join(root, 'coding', 'devops-agent-token'),
      CODING_TASK_REPOSITORY: 'atb/fixture',
      CODING_TASK_POLL_INTERVAL: '0.1',
      AI_COMMAND_GATEWAY_URL: nobody,
      // Up and answering: the errors are in the code, not an outage the health check would show.
      MARKET_PREDICTOR_URL: target.url,
    });
    agentUrl = await agent.agent.listen();
  }, 120_000);

  afterAll(async () => {
    await agent?.close();
    await coding?.close();
    await model?.close();
    await target?.stop();
    if (root) await rm(root, { recursive: true, force: true });
  });

  it('is recorded on the incident as no_change_needed with the reason, and the dashboard shows it', { timeout: 90_000 }, async () => {
    const accepted = await agent.agent.app.inject({
      method: 'POST',
      url: '/webhook/alerts',
      payload: notification([alert({ alertname: 'MarketPredictorHighErrorRate', service: 'market-predictor', severity: 'high' })]),
    });
    const incidentId = accepted.json().incidents[0] as string;
    const client = new DevopsAgentClient({ baseUrl: agentUrl });
    const incident = await eventually(
      async () => {
        const found = await client.getIncident(incidentId);
        return found.coding_task && !['pending', 'accepted'].includes(found.coding_task.status) ? found : undefined;
      },
      60_000,
      'the coding task to end',
    );
    expect(incident.coding_task).toMatchObject({ status: 'no_change_needed', task_status: 'no_change_needed', repository: 'atb/fixture' });
    expect(incident.coding_task?.reason).toContain('already rejects negative input');
    expect(incident.coding_task?.pull_request_url).toBeUndefined();
    expect(incident.timeline.map((event) => event.type)).toEqual(expect.arrayContaining(['coding-task-accepted', 'coding-task-finished']));

    const task = await new CodingAgentClient({ baseUrl: codingUrl, token: tokenFromFile(join(root, 'coding', 'devops-agent-token')) }).getTask(incident.coding_task?.task_id ?? '');
    expect(task).toMatchObject({ status: 'no_change_needed', incident_id: incidentId });

    const page = await fetch(`${agentUrl}/dashboard/incidents/${encodeURIComponent(incidentId)}`);
    const html = await page.text();
    expect(html).toMatch(/<dt>Status<\/dt><dd>no_change_needed/);
    expect(html).not.toMatch(/<dt>Status<\/dt><dd>failed/);
    expect(html).toMatch(/<dt>Outcome<\/dt><dd>price\(\) already rejects negative input/);
  });
});
