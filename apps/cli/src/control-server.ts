import { randomBytes, timingSafeEqual } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, resolve } from 'node:path';
import { streamEvents } from './control-events.js';
import { readProcessStats } from './control-process-stats.js';
import { type Supervisor, UnknownProcessError } from './supervisor.js';

/**
 * The control API `atb up` exposes on loopback so the command-gateway's process runtime can
 * list, inspect, restart, start, stop, read logs and stats of the processes it supervises.
 * Bearer-token authenticated; the URL and token are written (0600) to the control file
 * `.data/atb/control.json` as `{ url, token, pid }`.
 *
 * Routes (JSON): `GET /v1/ping`, `GET /v1/processes`, `GET /v1/processes/:name`,
 * `POST /v1/processes/:name/{restart,start,stop}` (body `{ timeout_seconds?, operation_id? }`:
 * an operation with an `operation_id` is performed once — a repeat of the id, while it runs or
 * after, answers the first outcome; the last 1,000 ids are remembered for the server's lifetime),
 * `GET /v1/processes/:name/logs?tail=N`, `GET /v1/processes/:name/stats`, and
 * `GET /v1/events` (lifecycle events as newline-delimited JSON, see `control-events.ts`).
 * The header `X-Atb-Actor` names who asks (printed by the supervisor). Errors are
 * `{ error, message }` with 400/401/404/405.
 */
export interface ControlServer {
  url: string;
  token: string;
  /** Where `{ url, token }` was written. */
  controlFile: string;
  close(): Promise<void>;
}

/** What the control file holds. */
export interface ControlFile {
  url: string;
  token: string;
  pid: number;
}

export interface ControlServerOptions {
  /** Where to write `{ url, token, pid }`; default `.data/atb/control.json` under the working directory. */
  controlFile?: string;
}

const NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,127}$/;
const OPERATION_ID = /^[\w.:-]{1,128}$/;
/** How many operation ids are remembered (the oldest are forgotten first). */
const REMEMBERED_OPERATIONS = 1000;

/** Operations by id: `action name` and the outcome, shared by repeats of the id. */
type Operations = Map<string, { what: string; outcome: Promise<unknown> }>;
const ACTOR = /^[\w .:@-]{1,64}$/;

/** Starts the control API on 127.0.0.1 (random port) and writes the control file. */
export async function startControlServer(supervisor: Supervisor, options: ControlServerOptions = {}): Promise<ControlServer> {
  const token = randomBytes(32).toString('hex');
  const controlFile = resolve(options.controlFile ?? '.data/atb/control.json');
  const operations: Operations = new Map();
  const server = createServer((request, response) => {
    handle(supervisor, token, operations, request, response).catch((error: unknown) => {
      send(response, 500, { error: 'internal', message: error instanceof Error ? error.message : String(error) });
    });
  });
  await new Promise<void>((resolveListen, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolveListen());
  });
  const { port } = server.address() as AddressInfo;
  const url = `http://127.0.0.1:${port}`;
  mkdirSync(dirname(controlFile), { recursive: true, mode: 0o700 });
  const content: ControlFile = { url, token, pid: process.pid };
  writeFileSync(controlFile, `${JSON.stringify(content, null, 2)}\n`, { mode: 0o600 });
  chmodSync(controlFile, 0o600);
  return { url, token, controlFile, close: () => closeServer(server, controlFile, token) };
}

async function closeServer(server: Server, controlFile: string, token: string): Promise<void> {
  await new Promise<void>((resolveClose) => {
    server.close(() => resolveClose());
    server.closeAllConnections();
  });
  // Remove the control file only if it is still ours (another `atb up` may have replaced it).
  try {
    const current = JSON.parse(readFileSync(controlFile, 'utf8')) as Partial<ControlFile>;
    if (current.token === token) rmSync(controlFile, { force: true });
  } catch {
    // already gone
  }
}

async function handle(supervisor: Supervisor, token: string, operations: Operations, request: IncomingMessage, response: ServerResponse): Promise<void> {
  if (!authorised(request.headers.authorization, token)) {
    send(response, 401, { error: 'unauthorized', message: 'expected Authorization: Bearer <token from the control file>' });
    return;
  }
  const url = new URL(request.url ?? '/', 'http://control');
  const parts = url.pathname.split('/').filter(Boolean);
  const method = request.method ?? 'GET';
  const actorHeader = request.headers['x-atb-actor'];
  const actor = typeof actorHeader === 'string' && ACTOR.test(actorHeader) ? actorHeader : 'the control API';

  if (parts[0] !== 'v1') return notFound(response, url.pathname);
  if (parts.length === 2 && parts[1] === 'ping') return send(response, 200, { ok: true });
  if (parts.length === 2 && parts[1] === 'events') {
    if (method !== 'GET') return notAllowed(response, method);
    return streamEvents(supervisor.events, url, request, response);
  }
  if (parts[1] !== 'processes') return notFound(response, url.pathname);
  if (parts.length === 2) {
    if (method !== 'GET') return notAllowed(response, method);
    return send(response, 200, { processes: supervisor.list() });
  }
  const name = safeDecode(parts[2] ?? '');
  if (!NAME.test(name) || !supervisor.processes.has(name)) {
    return send(response, 404, { error: 'not_found', message: new UnknownProcessError(name).message });
  }
  const action = parts[3];
  try {
    if (parts.length === 3) {
      if (method !== 'GET') return notAllowed(response, method);
      return send(response, 200, supervisor.describe(name));
    }
    if (parts.length !== 4 || !['restart', 'start', 'stop', 'logs', 'stats'].includes(action ?? '')) {
      return notFound(response, url.pathname);
    }
    if (action === 'restart' || action === 'start' || action === 'stop') {
      if (method !== 'POST') return notAllowed(response, method);
      const body = await readJson(request);
      if (!body) return send(response, 400, { error: 'invalid', message: 'expected a JSON object body of at most 4 KB' });
      const timeout = body.timeout_seconds;
      if (timeout !== undefined && !(Number.isInteger(timeout) && (timeout as number) >= 0 && (timeout as number) <= 600)) {
        return send(response, 400, { error: 'invalid', field: 'timeout_seconds', message: 'timeout_seconds: expected an integer 0..600' });
      }
      const operationId = body.operation_id;
      if (operationId !== undefined && !(typeof operationId === 'string' && OPERATION_ID.test(operationId))) {
        return send(response, 400, { error: 'invalid', field: 'operation_id', message: 'operation_id: expected 1..128 letters, digits, _ . : -' });
      }
      const options = { actor, timeoutSeconds: timeout as number | undefined };
      const perform = () =>
        action === 'restart' ? supervisor.restart(name, options) : action === 'start' ? supervisor.startAgain(name, options) : supervisor.stop(name, options);
      if (operationId === undefined) return send(response, 200, await perform());
      const what = `${action} ${name}`;
      let operation = operations.get(operationId);
      if (operation && operation.what !== what) {
        return send(response, 409, { error: 'conflict', field: 'operation_id', message: `operation_id "${operationId}" was used for ${operation.what}, not ${what}` });
      }
      if (!operation) {
        // Performed to the end even if the caller goes away; a repeat of the id shares the outcome.
        operation = { what, outcome: perform() };
        operation.outcome.catch(() => {});
        operations.set(operationId, operation);
        for (const oldest of operations.keys()) {
          if (operations.size <= REMEMBERED_OPERATIONS) break;
          operations.delete(oldest);
        }
      }
      return send(response, 200, await operation.outcome);
    }
    if (method !== 'GET') return notAllowed(response, method);
    if (action === 'logs') {
      const tail = Number(url.searchParams.get('tail') ?? '100');
      if (!Number.isInteger(tail) || tail < 1 || tail > 5000) {
        return send(response, 400, { error: 'invalid', field: 'tail', message: 'tail: expected an integer 1..5000' });
      }
      return send(response, 200, { lines: supervisor.logs(name, tail) });
    }
    if (action === 'stats') {
      const description = supervisor.describe(name);
      if (description.pid === undefined) {
        return send(response, 409, { error: 'not_running', message: `${name} is not running (${description.status})` });
      }
      return send(response, 200, await readProcessStats(description.pid));
    }
    return notFound(response, url.pathname);
  } catch (error) {
    if (error instanceof UnknownProcessError) return send(response, 404, { error: 'not_found', message: error.message });
    throw error;
  }
}

function authorised(header: string | undefined, token: string): boolean {
  if (!header?.startsWith('Bearer ')) return false;
  const given = Buffer.from(header.slice('Bearer '.length));
  const expected = Buffer.from(token);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/** The JSON object body, `{}` when empty, `undefined` when not a JSON object or over 4 KB. */
async function readJson(request: IncomingMessage): Promise<Record<string, unknown> | undefined> {
  let text = '';
  for await (const chunk of request) {
    text += String(chunk);
    if (text.length > 4096) return undefined;
  }
  if (!text.trim()) return {};
  try {
    const parsed = JSON.parse(text) as unknown;
    return parsed && typeof parsed === 'object' && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

function send(response: ServerResponse, status: number, body: unknown): void {
  if (response.headersSent) return;
  response.writeHead(status, { 'content-type': 'application/json' });
  response.end(JSON.stringify(body));
}

function notFound(response: ServerResponse, path: string): void {
  send(response, 404, { error: 'not_found', message: `no route ${path}` });
}

function notAllowed(response: ServerResponse, method: string): void {
  send(response, 405, { error: 'method_not_allowed', message: `${method} is not allowed here` });
}

function safeDecode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return '';
  }
}
