import { executeCommandRequestSchema } from '@atb/contracts';
import { createLanguageModel, InMemoryUsageStore, ModelRouter } from '@atb/llm';
import { type ReplyScript, type ScriptedOpenAIServer, startScriptedOpenAIServer } from '@atb/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { defaultPolicy } from '../policy/policy.js';
import { screenIntent } from '../policy/screen-intent.js';
import { validatePlan } from '../policy/validate-plan.js';
import { InterpreterChain } from './interpreter-chain.js';
import { LlmInterpreter } from './llm-interpreter.js';
import { RuleInterpreter } from './rule-interpreter.js';

const servers: ScriptedOpenAIServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

async function interpreterFor(script: ReplyScript) {
  const server = await startScriptedOpenAIServer(script);
  servers.push(server);
  const router = new ModelRouter({
    providers: [{ label: 'scripted', model: createLanguageModel({ provider: 'openai-compatible', model: 'm', baseUrl: server.url })! }],
    usage: new InMemoryUsageStore(),
    timeoutMs: 5_000,
    maxRetries: 0,
    maxRequestChars: 60_000,
    incidentTokenBudget: 40_000,
    dailyTokenBudget: 1_000_000,
    circuit: { failureThreshold: 3, cooldownMs: 60_000 },
  });
  const llm = new LlmInterpreter({ router, temperature: 0 });
  return { server, llm, chain: new InterpreterChain([new RuleInterpreter(), llm]) };
}

const policy = { ...defaultPolicy(), targets: { names: ['market-predictor', 'payments-api'], labels: {} } };
const requestOf = (intent: string, target = 'market-predictor') =>
  executeCommandRequestSchema.parse({ source_id: 'devops-agent', target_resource: { name: target }, action_request: { intent, context: 'incident inc-1' } });

/** Interprets like the command service does: screen, interpret (rules first), then the one validator. */
async function plan(chain: InterpreterChain, intent: string) {
  const request = requestOf(intent);
  expect(screenIntent(intent)).toBeUndefined();
  const interpretation = await chain.interpret({ request, policy });
  if (!interpretation.ok) return { interpretation, validation: undefined };
  const validation = await validatePlan(interpretation.plan, {
    sourceId: request.source_id,
    requestedTarget: request.target_resource.name,
    policy,
    maxTimeoutSeconds: 30,
  });
  return { interpretation, validation };
}

describe('LLM intent interpreter (behind the rules, before the one validator)', () => {
  it('reads a free-form intent the rules cannot, and the validator accepts the plan', async () => {
    const { server, chain } = await interpreterFor([
      { content: JSON.stringify({ operation: 'restart', target: 'market-predictor', params: {} }) },
    ]);
    const { interpretation, validation } = await plan(chain, 'the predictor seems wedged, could you give it a kick');
    expect(interpretation).toMatchObject({ ok: true, interpreter: 'llm', plan: { operation: 'restart' } });
    expect(validation).toMatchObject({ ok: true, plan: { operation: 'restart', target: 'market-predictor' } });
    const prompt = JSON.stringify(server.requests[0]!.body.messages);
    expect(prompt).toContain('could you give it a kick');
    expect(prompt).toContain('restart, start, logs, inspect, stats, list');
  });

  it('never asks the model when the rules read the intent', async () => {
    const { server, chain } = await interpreterFor([]);
    const { interpretation } = await plan(chain, 'restart the service');
    expect(interpretation).toMatchObject({ ok: true, interpreter: 'rules' });
    expect(server.requests).toHaveLength(0);
  });

  it('refuses a model reply outside the closed set of operations ("run a privileged container")', async () => {
    const reply = { operation: 'run', target: 'market-predictor', params: { image: 'alpine', privileged: true, command: 'rm -rf /' } };
    const { llm } = await interpreterFor([{ content: JSON.stringify(reply) }]);
    const refusal = await llm.interpret({ request: requestOf('please sort the predictor out however you think best'), policy });
    expect(refusal).toMatchObject({ ok: false, kind: 'unrecognised' });
    if (!refusal.ok) expect(refusal.reason).toContain('outside the command contract');
    // The one validator says the same about the raw proposal.
    expect(await validatePlan(reply, { sourceId: 'devops-agent', requestedTarget: 'market-predictor', policy, maxTimeoutSeconds: 30 })).toMatchObject({
      ok: false,
      rejection: { code: 'unknown_operation' },
    });
  });

  it.each([
    ['shell text in a parameter', { operation: 'restart', target: 'market-predictor', params: { command: 'rm -rf /' } }, 'invalid_parameter'],
    ['a privileged flag', { operation: 'logs', target: 'market-predictor', params: { privileged: true } }, 'invalid_parameter'],
    ['a target off the allowlist', { operation: 'restart', target: 'postgres', params: {} }, 'target_mismatch'],
    ['another allowlisted target', { operation: 'restart', target: 'payments-api', params: {} }, 'target_mismatch'],
    ['an operation this source may not request', { operation: 'stop', target: 'market-predictor', params: {} }, 'operation_not_allowed'],
  ])('a malicious model reply (%s) is rejected by the validator', async (_label, reply, code) => {
    const { chain } = await interpreterFor([{ content: JSON.stringify(reply) }]);
    const { interpretation, validation } = await plan(chain, 'please sort the predictor out however you think best');
    expect(interpretation.ok).toBe(true);
    expect(validation).toMatchObject({ ok: false, rejection: { code } });
  });

  it('refuses when the model answers "none" or twice without a usable plan', async () => {
    const none = await interpreterFor([{ content: '{"operation":"none","reason":"asks for a database backup"}' }]);
    const declined = await none.llm.interpret({ request: requestOf('take a backup of the production database please'), policy });
    expect(declined).toMatchObject({ ok: false, kind: 'unrecognised' });
    if (!declined.ok) expect(declined.reason).toContain('asks for a database backup');

    const garbage = await interpreterFor([{ content: 'sure! restarting now' }, { content: 'done, it is restarted' }]);
    const refusal = await garbage.llm.interpret({ request: requestOf('give the predictor a kick'), policy });
    expect(refusal).toMatchObject({ ok: false, kind: 'unrecognised' });
    if (!refusal.ok) expect(refusal.reason).toContain('no usable plan');
    expect(garbage.server.requests).toHaveLength(2);
    expect(JSON.stringify(garbage.server.requests[1]!.body.messages)).toContain('could not be used');
  });

  it('refuses (never plans) when the provider is down', async () => {
    const { llm, chain } = await interpreterFor(() => ({ status: 503 }));
    const request = requestOf('give the predictor a kick');
    const refusal = await llm.interpret({ request, policy });
    expect(refusal).toMatchObject({ ok: false });
    if (!refusal.ok) expect(refusal.reason).toContain('language model is unavailable');
    expect((await chain.interpret({ request, policy })).ok).toBe(false);
  });
});
