import { describeWithComponent } from '@atb/testing';
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import { BwrapSandbox } from '../../src/sandbox/bwrap-sandbox.js';
import { AUTHORIZATION, editReply, FIXTURE_FILES, type Harness, startHarness } from './harness.js';

vi.setConfig({ testTimeout: 90_000 });

const API_KEY = 'sk-live-4f9a8b7c6d5e4f3a2b1c0d9e8f7a';
const PRIVATE_KEY_BODY = 'MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7xK9';
const DATABASE_PASSWORD = 'hunter2-prod-password';

/** Ordinary code that a broad redaction would rewrite (and so break the coder's edit blocks). */
const ORDINARY_CODE = `export function authHeader(getToken) {\n  const token = getToken();\n  return \`Bearer \${token}\`;\n}\n`;

/** The fixture's math module with secrets planted next to the code the coder must edit. */
const MATH_WITH_SECRETS = [
  FIXTURE_FILES['src/math.js'],
  `export const key = "${API_KEY}";`,
  `export const databaseUrl = "postgres://app:${DATABASE_PASSWORD}@db.internal:5432/prod";`,
  'export const deployKey = `-----BEGIN RSA PRIVATE KEY-----',
  PRIVATE_KEY_BODY,
  '-----END RSA PRIVATE KEY-----`;',
  '',
  ORDINARY_CODE,
].join('\n');

describeWithComponent('bubblewrap', await new BwrapSandbox().available(), 'install it: scripts/install-system-deps.sh', () => {
  let harness: Harness;
  const coderCallTimes: number[] = [];
  beforeAll(async () => {
    harness = await startHarness({
      files: { ...FIXTURE_FILES, 'src/math.js': MATH_WITH_SECRETS },
      coder: (index) => {
        coderCallTimes.push(Date.now());
        // The provider is rate limited on the first coder call and says when to come back.
        if (index === 0) return { status: 429, headers: { 'retry-after': '1' } };
        return editReply('src/math.js', '  return a - b;', '  return a + b;', 'add must add.');
      },
    });
  });
  afterAll(async () => {
    await harness?.close();
  });

  it('goes through the router: a 429 is retried after Retry-After, secrets never leave, code is sent as written', async () => {
    const created = await harness.agent.app.inject({
      headers: AUTHORIZATION,
      method: 'POST',
      url: '/tasks',
      payload: { repository: 'atb/fixture', requirement: 'Fix add(): it subtracts' },
    });
    const task = await harness.waitForTask(created.json().task_id as string);
    expect(task.reason).toBeUndefined();
    expect(task.status).toBe('completed');

    // The rate-limited call was retried by the router, after the one second the server asked for.
    expect(coderCallTimes).toHaveLength(2);
    expect((coderCallTimes[1] as number) - (coderCallTimes[0] as number)).toBeGreaterThanOrEqual(990);

    // Tokens and cost are on the task (GET /tasks/:id).
    const shown = (await harness.agent.app.inject({ headers: AUTHORIZATION, method: 'GET', url: `/tasks/${task.task_id}` })).json();
    expect(shown.tokens.total).toBeGreaterThan(0);
    expect(shown.tokens.total).toBe(shown.tokens.input + shown.tokens.output);
    expect(typeof shown.cost_usd).toBe('number');

    // Each call is recorded with its purpose, provider and tokens (GET /llm/usage), in the task database.
    const usage = (await harness.agent.app.inject({ headers: AUTHORIZATION, method: 'GET', url: '/llm/usage' })).json();
    expect(usage.enabled).toBe(true);
    expect(usage.circuits).toEqual({ 'scripted.chat:scripted-coder': 'closed' });
    expect(usage.recent.map((record: { purpose: string; outcome: string }) => [record.purpose, record.outcome])).toEqual([
      ['coding', 'ok'],
      ['coding', 'ok'],
    ]);
    expect(usage.totals.prompt_tokens + usage.totals.completion_tokens).toBe(shown.tokens.total);

    // Every request that reached the model: no planted secret; the coder's file arrived with its code intact.
    const sent = harness.modelRequests.map((request) => request.raw);
    expect(sent.length).toBe(3);
    for (const body of sent) {
      for (const secret of [API_KEY, PRIVATE_KEY_BODY, DATABASE_PASSWORD]) expect(body).not.toContain(secret);
    }
    const coderRequest = JSON.stringify(harness.modelRequests.at(-1)?.body);
    expect(coderRequest).toContain(JSON.stringify(ORDINARY_CODE).slice(1, -1));
    expect(coderRequest).toContain('[REDACTED:api-key]');
    expect(coderRequest).toContain('[REDACTED:private-key]');
    expect(coderRequest).toContain('postgres://app:[REDACTED:password]@db.internal');
  });
});
