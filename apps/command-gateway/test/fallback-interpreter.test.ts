import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { IntentInterpreter } from '../src/interpreter/intent-interpreter.js';
import { commandRequest, type GatewayFixture, startGateway } from './support/gateway-fixture.js';

/**
 * A second interpreter (as an LLM would be) plugged in through the app builder's one option:
 * asked only for intents the rules cannot read and that passed the screen, and its plans go
 * through the same validator — it can propose, never bypass.
 */
describe('a fallback interpreter behind the rules', () => {
  let gateway: GatewayFixture;
  const asked: string[] = [];
  let proposal: unknown;
  const fallback: IntentInterpreter = {
    name: 'scripted-llm',
    interpret: ({ request }) => {
      asked.push(request.action_request.intent);
      return { ok: true, plan: proposal as never };
    },
  };
  beforeAll(async () => {
    gateway = await startGateway({}, { interpreter: fallback });
  });
  afterAll(async () => gateway.close());

  it('is not asked when the rules read the intent, nor for screened or badly addressed requests', async () => {
    asked.length = 0;
    await gateway.execute(commandRequest('stats'));
    await gateway.execute(commandRequest('exec into it'));
    await gateway.execute(commandRequest('kick it', { target_resource: { name: 'x;reboot' } }));
    await gateway.execute(commandRequest('kick it', { source_id: 'stranger' }));
    expect(asked).toEqual([]);
  });

  it('its valid plan is executed and the audit names it', async () => {
    proposal = { operation: 'restart', target: 'market-predictor', params: {} };
    const response = await gateway.execute(commandRequest('the predictor is wedged, kick it'));
    expect(response.body).toMatchObject({ overall_status: 'success', plan: { operation: 'restart' } });
    const audit = await gateway.service.app.inject({
      method: 'GET',
      url: `/audit?subject=${response.body.request_id}&action=command-started`,
      headers: { authorization: `Bearer ${gateway.token}` },
    });
    expect(audit.json().records[0].data.interpreter).toBe('scripted-llm');
  });

  it.each([
    ['an operation outside the closed set', { operation: 'exec', target: 'market-predictor', params: { cmd: 'sh' } }, 'unknown_operation'],
    ['stop, which the devops agent is not granted', { operation: 'stop', target: 'market-predictor', params: {} }, 'operation_not_allowed'],
    ['another, unlisted target', { operation: 'restart', target: 'postgres', params: {} }, 'target_mismatch'],
    ['a look-alike target', { operation: 'restart', target: 'market-predictоr', params: {} }, 'invalid_target_name'],
    ['an extra flag', { operation: 'restart', target: 'market-predictor', params: { privileged: true } }, 'invalid_parameter'],
    ['too many log lines', { operation: 'logs', target: 'market-predictor', params: { tail: 100_000 } }, 'invalid_parameter'],
    ['no plan at all', null, 'unknown_operation'],
  ])('its plan with %s is rejected by the validator, nothing executed', async (_what, plan, code) => {
    proposal = plan;
    gateway.runtime.calls.length = 0;
    const response = await gateway.execute(commandRequest('the predictor is wedged, kick it'));
    expect(response.body).toMatchObject({ overall_status: 'rejected', reason_code: code });
    expect(gateway.runtime.calls).toEqual([]);
  });
});
