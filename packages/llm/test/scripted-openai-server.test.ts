import { createOpenAI } from '@ai-sdk/openai';
import { createOpenAICompatible } from '@ai-sdk/openai-compatible';
import { startScriptedOpenAIServer } from '@atb/testing';
import { generateText, Output, stepCountIs, streamText, tool } from 'ai';
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';

const servers: { close(): Promise<void> }[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

async function start(...args: Parameters<typeof startScriptedOpenAIServer>) {
  const server = await startScriptedOpenAIServer(...args);
  servers.push(server);
  return server;
}

const weather = tool({
  description: 'weather in a city',
  inputSchema: z.object({ city: z.string() }),
  execute: async ({ city }) => ({ city, temperature: 21 }),
});

describe('scripted OpenAI server', () => {
  it('answers text to createOpenAICompatible and records the request', async () => {
    const server = await start([{ content: 'hello there', usage: { prompt_tokens: 11, completion_tokens: 3 } }]);
    const model = createOpenAICompatible({ name: 'scripted', baseURL: server.url }).chatModel('m1');
    const result = await generateText({ model, prompt: 'say hello', maxRetries: 0 });
    expect(result.text).toBe('hello there');
    expect(result.usage.inputTokens).toBe(11);
    expect(result.usage.outputTokens).toBe(3);
    expect(server.requests).toHaveLength(1);
    expect(server.requests[0]?.path).toBe('/v1/chat/completions');
    expect(server.requests[0]?.body.model).toBe('m1');
    expect(JSON.stringify(server.requests[0]?.body.messages)).toContain('say hello');
  });

  it('round-trips a tool call with createOpenAI (chat API)', async () => {
    const server = await start([
      { tool_calls: [{ id: 'call_a', name: 'weather', arguments: { city: 'Oslo' } }] },
      { content: 'It is 21 degrees in Oslo.' },
    ]);
    const model = createOpenAI({ apiKey: 'sk-test', baseURL: server.url }).chat('gpt-test');
    const result = await generateText({ model, prompt: 'weather?', tools: { weather }, stopWhen: stepCountIs(3), maxRetries: 0 });
    expect(result.text).toBe('It is 21 degrees in Oslo.');
    expect(result.steps).toHaveLength(2);
    expect(server.requests[0]?.headers.authorization).toBe('Bearer sk-test');
    expect(server.requests[0]?.body.tools[0].function.name).toBe('weather');
    const second = server.requests[1]?.body.messages as { role: string; tool_call_id?: string; content?: string }[];
    const toolMessage = second.find((message) => message.role === 'tool');
    expect(toolMessage?.tool_call_id).toBe('call_a');
    expect(toolMessage?.content).toContain('21');
  });

  it('streams text and tool-call deltas with a usage chunk', async () => {
    const server = await start([
      { tool_calls: [{ name: 'weather', arguments: { city: 'Bergen' } }], usage: { prompt_tokens: 7, completion_tokens: 5 } },
      { content: 'Bergen is mild today, with light rain expected.', usage: { prompt_tokens: 9, completion_tokens: 4 } },
    ]);
    const model = createOpenAICompatible({ name: 'scripted', baseURL: server.url, includeUsage: true }).chatModel('m');
    const result = streamText({ model, prompt: 'weather?', tools: { weather }, stopWhen: stepCountIs(3), maxRetries: 0 });
    let text = '';
    for await (const delta of result.textStream) text += delta;
    expect(text).toBe('Bergen is mild today, with light rain expected.');
    const steps = await result.steps;
    expect(steps[0]?.toolCalls[0]?.input).toEqual({ city: 'Bergen' });
    expect((await result.totalUsage).inputTokens).toBe(16);
    expect(server.requests[0]?.body.stream).toBe(true);
  });

  it('serves structured (JSON) output requested with Output.object', async () => {
    const server = await start([{ content: '{"city":"Oslo","temperature":21}' }]);
    const model = createOpenAICompatible({ name: 'scripted', baseURL: server.url, supportsStructuredOutputs: true }).chatModel('m');
    const result = await generateText({
      model,
      prompt: 'weather as JSON',
      output: Output.object({ schema: z.object({ city: z.string(), temperature: z.number() }) }),
      maxRetries: 0,
    });
    expect(result.output).toEqual({ city: 'Oslo', temperature: 21 });
    expect(server.requests[0]?.body.response_format.type).toBe('json_schema');
  });

  it('answers scripted errors with headers, lists models, and reports an exhausted script', async () => {
    const server = await start([{ status: 429, headers: { 'retry-after': '1' } }]);
    const first = await fetch(`${server.url}/chat/completions`, { method: 'POST', body: JSON.stringify({ model: 'm', messages: [] }) });
    expect(first.status).toBe(429);
    expect(first.headers.get('retry-after')).toBe('1');
    const models = (await (await fetch(`${server.url}/models`)).json()) as { data: { id: string }[] };
    expect(models.data[0]?.id).toBe('scripted-model');
    const exhausted = await fetch(`${server.url}/chat/completions`, { method: 'POST', body: JSON.stringify({ model: 'm', messages: [] }) });
    expect(exhausted.status).toBe(500);
    expect(((await exhausted.json()) as { error: { message: string } }).error.message).toContain('script exhausted');
  });

  it('chooses replies with a function and delays them', async () => {
    const server = await start((request, index) => ({ content: `reply ${index} to ${request.body.model}`, delay_ms: 20 }));
    const model = createOpenAICompatible({ name: 'scripted', baseURL: server.url }).chatModel('fn-model');
    const started = Date.now();
    const result = await generateText({ model, prompt: 'x', maxRetries: 0 });
    expect(result.text).toBe('reply 0 to fn-model');
    expect(Date.now() - started).toBeGreaterThanOrEqual(15);
  });
});
