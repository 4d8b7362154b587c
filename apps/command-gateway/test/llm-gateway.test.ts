import { type ScriptedOpenAIServer, startScriptedOpenAIServer } from '@atb/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { commandRequest, type GatewayFixture, startGateway } from './support/gateway-fixture.js';

describe('command-gateway with LLM_PROVIDER set (free-form intents through the one validator)', () => {
  let gateway: GatewayFixture | undefined;
  let model: ScriptedOpenAIServer | undefined;
  afterEach(async () => {
    await gateway?.close();
    await model?.close();
    gateway = undefined;
  });

  const boot = async (replies: Parameters<typeof startScriptedOpenAIServer>[0]) => {
    model = await startScriptedOpenAIServer(replies);
    gateway = await startGateway({ LLM_PROVIDER: 'openai-compatible', LLM_BASE_URL: model.url, LLM_MODEL: 'scripted-model', LLM_MAX_RETRIES: '0' });
    return gateway;
  };

  it('executes the validated plan the model proposes for an intent the rules cannot read', async () => {
    const started = await boot([{ content: '{"operation":"restart","target":"market-predictor","params":{}}' }]);
    const response = await started.execute(commandRequest('the predictor seems wedged, please give it a kick'));
    expect(response.body).toMatchObject({ overall_status: 'success', plan: { operation: 'restart', target: 'market-predictor' } });
    expect(started.runtime.mutations()).toEqual([{ method: 'restart', name: 'market-predictor' }]);
    expect(model!.requests).toHaveLength(1);

    expect((await started.service.app.inject({ url: '/llm/usage' })).statusCode).toBe(401);
    const usage = await started.service.app.inject({ url: '/llm/usage', headers: { authorization: `Bearer ${started.token}` } });
    expect(usage.json()).toMatchObject({ enabled: true, totals: { calls: 1 } });
  });

  it('rejects a malicious model plan with the same validator, executing nothing', async () => {
    const started = await boot([
      { content: JSON.stringify({ operation: 'run', target: 'market-predictor', params: { image: 'alpine', privileged: true, command: 'rm -rf /' } }) },
    ]);
    const response = await started.execute(commandRequest('the predictor seems wedged, please sort it out'));
    expect(response.statusCode).toBe(200);
    expect(response.body).toMatchObject({ overall_status: 'rejected', reason_code: 'unrecognised_intent' });
    expect(model!.requests).toHaveLength(1);
    expect(started.runtime.mutations()).toEqual([]);
  });

  it('rejects a contract-shaped but forbidden model plan in validatePlan (shell text in a parameter)', async () => {
    const started = await boot([{ content: JSON.stringify({ operation: 'restart', target: 'market-predictor', params: { command: 'rm -rf /' } }) }]);
    const response = await started.execute(commandRequest('the predictor seems wedged, please sort it out'));
    expect(response.body).toMatchObject({ overall_status: 'rejected', reason_code: 'invalid_parameter' });
    expect(started.runtime.mutations()).toEqual([]);
  });
});
