import { executeCommandRequestSchema } from '@atb/contracts';
import { describe, expect, it } from 'vitest';
import type { IntentInterpreter } from '../src/interpreter/intent-interpreter.js';
import { InterpreterChain } from '../src/interpreter/interpreter-chain.js';
import { RuleInterpreter } from '../src/interpreter/rule-interpreter.js';
import { defaultPolicy } from '../src/policy/policy.js';

const policy = defaultPolicy();
const requestFor = (intent: string, target = 'market-predictor') =>
  executeCommandRequestSchema.parse({
    source_id: 'devops-agent',
    target_resource: { name: target },
    action_request: { intent, context: 'memory leak detected' },
  });

describe('RuleInterpreter', () => {
  const rules = new RuleInterpreter();
  it.each([
    ['restart the service', 'restart', {}],
    ['Restart market-predictor', 'restart', {}],
    ['please bounce it, health checks fail', 'restart', {}],
    ['restart the service within 20 seconds', 'restart', { timeout_seconds: 20 }],
    ['show the last 200 log lines', 'logs', { tail: 200 }],
    ['tail 50', 'logs', { tail: 50 }],
    ['show the logs', 'logs', { tail: 100 }],
    ['show 10 lines', 'logs', { tail: 10 }],
    ['the container stopped answering, restart it', 'restart', {}],
    ['start it', 'start', {}],
    ['bring it back up', 'start', {}],
    ['stop it', 'stop', {}],
    ['inspect', 'inspect', {}],
    ['what is the state of the container', 'inspect', {}],
    ['resource usage', 'stats', {}],
    ['stats', 'stats', {}],
    ['list containers', 'list', {}],
    // The devops agent's phrasings (apps/devops-agent/src/policy/decide-next-action.ts, investigation-ports.ts).
    ['restart the market-predictor container', 'restart', {}],
    ['start the market-predictor container', 'start', {}],
    ['stop the market-predictor container', 'stop', {}],
    ['show the recent logs of the market-predictor container', 'logs', { tail: 100 }],
    ['inspect the market-predictor container', 'inspect', {}],
    ['show resource usage stats of the market-predictor container', 'stats', {}],
    ['list the containers', 'list', {}],
    ['inspect the container', 'inspect', {}],
    ['show the last 500 log lines', 'logs', { tail: 500 }],
  ])('reads %j as %s', (intent, operation, params) => {
    const result = rules.interpret({ request: requestFor(intent), policy });
    expect(result).toEqual({ ok: true, interpreter: 'rules', plan: { operation, target: 'market-predictor', params } });
  });

  it.each([
    ['make it faster', 'unrecognised'],
    ['restart and then show the logs', 'ambiguous'],
    ['stop it and start it', 'ambiguous'],
  ])('refuses %j as %s, with what would be accepted', (intent, kind) => {
    const result = rules.interpret({ request: requestFor(intent), policy });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.kind).toBe(kind);
    expect(result.reason.length).toBeGreaterThan(10);
    expect(result.accepted_examples).toContain('restart the service');
  });

  it('refuses an intent naming another allowlisted target than target_resource.name', () => {
    const twoTargets = { ...policy, targets: { names: ['market-predictor', 'redis'], labels: {} } };
    const result = rules.interpret({ request: requestFor('restart redis'), policy: twoTargets });
    expect(result).toMatchObject({ ok: false, kind: 'ambiguous' });
  });
});

describe('InterpreterChain', () => {
  const fallbackPlan = { operation: 'restart' as const, target: 'market-predictor', params: {} };
  it('asks the fallback only when the rules cannot read the intent', async () => {
    const asked: string[] = [];
    const fallback: IntentInterpreter = {
      name: 'llm',
      interpret: ({ request }) => {
        asked.push(request.action_request.intent);
        return { ok: true, plan: fallbackPlan };
      },
    };
    const chain = new InterpreterChain([new RuleInterpreter(), fallback]);
    const readByRules = await chain.interpret({ request: requestFor('stats'), policy });
    expect(readByRules).toMatchObject({ ok: true, interpreter: 'rules' });
    const readByFallback = await chain.interpret({ request: requestFor('the predictor seems wedged, kick it'), policy });
    expect(readByFallback).toEqual({ ok: true, plan: fallbackPlan, interpreter: 'llm' });
    expect(asked).toEqual(['the predictor seems wedged, kick it']);
  });

  it('returns the rules’ refusal when the fallback throws', async () => {
    const chain = new InterpreterChain([
      new RuleInterpreter(),
      { name: 'llm', interpret: () => Promise.reject(new Error('provider down')) },
    ]);
    const result = await chain.interpret({ request: requestFor('make it faster'), policy });
    expect(result).toMatchObject({ ok: false, kind: 'unrecognised' });
  });
});
