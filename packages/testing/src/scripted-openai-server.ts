import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One tool call the scripted model makes. `arguments` is JSON-encoded unless it is already a string. */
export interface ScriptedToolCall {
  id?: string;
  name: string;
  arguments: unknown;
}

/**
 * One scripted reply of the model. A reply with `status` ≥ 400 answers that status with
 * `error_body` (default: an OpenAI-style error object) instead of a completion.
 */
export interface ScriptedReply {
  content?: string;
  tool_calls?: ScriptedToolCall[];
  status?: number;
  error_body?: unknown;
  headers?: Record<string, string>;
  /** Wait this long before answering (to provoke client timeouts). */
  delay_ms?: number;
  /** Token usage to report; by default estimated from the request and reply sizes (4 characters ≈ 1 token). */
  usage?: { prompt_tokens: number; completion_tokens: number };
}

/** A request the server received, recorded before it is answered. */
export interface RecordedRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  /** The parsed JSON body, or `undefined` when the body was empty or not JSON. */
  // biome-ignore lint/suspicious/noExplicitAny: tests inspect arbitrary wire bodies
  body: any;
  raw: string;
}

/** A running scripted server. */
export interface ScriptedOpenAIServer {
  /** Base URL ending in `/v1`, for `createOpenAICompatible({ baseURL })` or `createOpenAI({ baseURL })`. */
  url: string;
  /** Every request received, in order (chat completions and everything else). */
  requests: RecordedRequest[];
  close(): Promise<void>;
}

/** How the scripted replies are chosen: in order from a list, or by a function of the request. */
export type ReplyScript = ScriptedReply[] | ((request: RecordedRequest, index: number) => ScriptedReply);

/** Estimates tokens as the AI SDK's own docs suggest for English text: about four characters per token. */
export function estimateTokens(text: string): number {
  return Math.ceil(text.length / 4);
}

function encodeArguments(value: unknown): string {
  return typeof value === 'string' ? value : JSON.stringify(value ?? {});
}

function promptText(body: unknown): string {
  if (body && typeof body === 'object' && 'messages' in body) {
    const { messages, tools } = body as { messages?: unknown; tools?: unknown };
    return JSON.stringify(messages ?? []) + (tools ? JSON.stringify(tools) : '');
  }
  return '';
}

function usageOf(reply: ScriptedReply, request: RecordedRequest) {
  const completionText = (reply.content ?? '') + JSON.stringify(reply.tool_calls ?? []);
  const prompt_tokens = reply.usage?.prompt_tokens ?? estimateTokens(promptText(request.body));
  const completion_tokens = reply.usage?.completion_tokens ?? estimateTokens(completionText);
  return { prompt_tokens, completion_tokens, total_tokens: prompt_tokens + completion_tokens };
}

function toolCallsOf(reply: ScriptedReply) {
  return (reply.tool_calls ?? []).map((call, index) => ({
    id: call.id ?? `call_${index}_${randomUUID().slice(0, 8)}`,
    type: 'function' as const,
    function: { name: call.name, arguments: encodeArguments(call.arguments) },
  }));
}

function sendJson(response: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) {
  const text = JSON.stringify(body);
  response.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
    ...headers,
  });
  response.end(text);
}

function readBody(request: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    request.on('error', reject);
  });
}

function wait(ms: number, response: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    // A client that gives up (timeout/abort) closes the socket: stop waiting.
    response.on('close', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

function completion(reply: ScriptedReply, request: RecordedRequest, model: string) {
  const toolCalls = toolCallsOf(reply);
  const message: Record<string, unknown> = { role: 'assistant', content: reply.content ?? null, refusal: null };
  if (toolCalls.length > 0) message.tool_calls = toolCalls;
  return {
    id: `chatcmpl-${randomUUID()}`,
    object: 'chat.completion',
    created: Math.floor(Date.now() / 1000),
    model,
    choices: [{ index: 0, message, logprobs: null, finish_reason: toolCalls.length > 0 ? 'tool_calls' : 'stop' }],
    usage: usageOf(reply, request),
    system_fingerprint: 'fp_scripted',
  };
}

function streamCompletion(response: ServerResponse, reply: ScriptedReply, request: RecordedRequest, model: string) {
  const id = `chatcmpl-${randomUUID()}`;
  const created = Math.floor(Date.now() / 1000);
  const options = request.body?.stream_options as { include_usage?: boolean } | undefined;
  const includeUsage = options?.include_usage === true;
  // With include_usage, OpenAI sends `usage: null` on every chunk but the last, usage-only one.
  const base = {
    id,
    object: 'chat.completion.chunk',
    created,
    model,
    system_fingerprint: 'fp_scripted',
    ...(includeUsage ? { usage: null } : {}),
  };
  response.writeHead(200, {
    'content-type': 'text/event-stream',
    'cache-control': 'no-cache',
    connection: 'keep-alive',
    ...(reply.headers ?? {}),
  });
  const send = (data: unknown) => response.write(`data: ${JSON.stringify(data)}\n\n`);
  const chunk = (delta: Record<string, unknown>, finish_reason: string | null = null) =>
    send({ ...base, choices: [{ index: 0, delta, logprobs: null, finish_reason }] });

  chunk({ role: 'assistant', content: '', refusal: null });
  const content = reply.content ?? '';
  // Split the text into a few pieces so clients see real incremental deltas.
  for (let offset = 0; offset < content.length; offset += 16) chunk({ content: content.slice(offset, offset + 16) });
  const toolCalls = toolCallsOf(reply);
  toolCalls.forEach((call, index) => {
    chunk({ tool_calls: [{ index, id: call.id, type: 'function', function: { name: call.function.name, arguments: '' } }] });
    const args = call.function.arguments;
    const half = Math.ceil(args.length / 2);
    for (const piece of [args.slice(0, half), args.slice(half)]) {
      if (piece.length > 0) chunk({ tool_calls: [{ index, function: { arguments: piece } }] });
    }
  });
  chunk({}, toolCalls.length > 0 ? 'tool_calls' : 'stop');
  if (includeUsage) send({ ...base, choices: [], usage: usageOf(reply, request) });
  response.write('data: [DONE]\n\n');
  response.end();
}

/**
 * Starts a real HTTP server on 127.0.0.1 (random port) speaking the OpenAI Chat Completions wire
 * protocol: `POST /v1/chat/completions` (non-streaming, and server-sent events when `stream: true`,
 * with tool-call deltas and a usage chunk when `stream_options.include_usage`) and `GET /v1/models`.
 * Each completion request consumes the next scripted reply; every request is recorded in
 * `requests` before it is answered. When the script runs out the server answers 500 with a
 * message saying so.
 *
 * @example
 * const server = await startScriptedOpenAIServer([{ tool_calls: [{ name: 'lookup', arguments: { q: 'x' } }] }, { content: 'done' }]);
 * const model = createOpenAICompatible({ name: 'scripted', baseURL: server.url }).chatModel('scripted-model');
 */
export async function startScriptedOpenAIServer(replies: ReplyScript): Promise<ScriptedOpenAIServer> {
  const requests: RecordedRequest[] = [];
  let completionIndex = 0;

  const server = createServer(async (incoming, response) => {
    try {
      const raw = await readBody(incoming);
      let body: unknown;
      try {
        body = raw.length > 0 ? JSON.parse(raw) : undefined;
      } catch {
        body = undefined;
      }
      const headers: Record<string, string> = {};
      for (const [name, value] of Object.entries(incoming.headers)) {
        if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(', ') : value;
      }
      const path = (incoming.url ?? '/').split('?')[0] ?? '/';
      const recorded: RecordedRequest = { method: incoming.method ?? 'GET', path, headers, body, raw };
      requests.push(recorded);

      if (recorded.method === 'GET' && path === '/v1/models') {
        sendJson(response, 200, {
          object: 'list',
          data: [{ id: 'scripted-model', object: 'model', created: 0, owned_by: 'scripted' }],
        });
        return;
      }
      if (recorded.method !== 'POST' || path !== '/v1/chat/completions') {
        sendJson(response, 404, {
          error: { message: `scripted server: no route ${recorded.method} ${path}`, type: 'invalid_request_error', param: null, code: null },
        });
        return;
      }
      if (body === undefined || typeof body !== 'object') {
        sendJson(response, 400, {
          error: { message: 'scripted server: request body is not JSON', type: 'invalid_request_error', param: null, code: null },
        });
        return;
      }

      const index = completionIndex++;
      const reply = typeof replies === 'function' ? replies(recorded, index) : replies[index];
      if (reply === undefined) {
        const count = Array.isArray(replies) ? replies.length : 0;
        sendJson(response, 500, {
          error: {
            message: `scripted server: script exhausted (request ${index + 1}, ${count} replies scripted)`,
            type: 'server_error',
            param: null,
            code: 'script_exhausted',
          },
        });
        return;
      }
      if (reply.delay_ms !== undefined && reply.delay_ms > 0) {
        await wait(reply.delay_ms, response);
        if (response.destroyed || response.writableEnded) return;
      }
      if (reply.status !== undefined && reply.status >= 400) {
        sendJson(
          response,
          reply.status,
          reply.error_body ?? {
            error: { message: `scripted error ${reply.status}`, type: 'server_error', param: null, code: null },
          },
          reply.headers,
        );
        return;
      }
      const model = typeof (body as { model?: unknown }).model === 'string' ? (body as { model: string }).model : 'scripted-model';
      if ((body as { stream?: unknown }).stream === true) {
        streamCompletion(response, reply, recorded, model);
      } else {
        sendJson(response, reply.status ?? 200, completion(reply, recorded, model), reply.headers);
      }
    } catch (error) {
      if (!response.headersSent) {
        sendJson(response, 500, { error: { message: `scripted server failed: ${String(error)}`, type: 'server_error' } });
      } else {
        response.end();
      }
    }
  });

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/v1`,
    requests,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}
