import { createServer, request as httpRequest, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ContainerEvent } from '@atb/contracts';

let sequence = BigInt(Date.now()) * 1000n;

/** A container event with the next id; `time` defaults to now. */
export function containerEvent(type: ContainerEvent['type'], target: string, extra: Partial<ContainerEvent> = {}): ContainerEvent {
  sequence += 1n;
  return { id: String(sequence), type, target, container_id: `id-${target}`, time: new Date().toISOString(), runtime: 'docker', initiated_by: 'external', ...extra };
}

/**
 * The gateway's `GET /events` on cue: a loopback server that speaks server-sent events and sends
 * each {@link send} to every open stream at once. Every other request is passed to `forwardTo`
 * (the real gateway), so the agent talks to one gateway URL as it does in production.
 */
export class ScriptedEvents {
  url = '';
  /** Streams opened so far. */
  connections = 0;
  /** Ends every stream right after it opened (a gateway, or a proxy before it, that drops them). */
  closeOnOpen = false;
  private server: Server | undefined;
  private readonly open = new Set<ServerResponse>();

  async start(forwardTo?: string): Promise<string> {
    this.server = createServer((request, response) => {
      if (request.url === '/events') return this.stream(response);
      if (!forwardTo) return void response.writeHead(404, { 'content-type': 'application/json' }).end('{}');
      forward(request, response, forwardTo);
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this.url;
  }

  /** Writes the events to every open stream. */
  send(...events: ContainerEvent[]): void {
    for (const response of this.open) for (const event of events) response.write(`id: ${event.id}\nevent: ${event.type}\ndata: ${JSON.stringify(event)}\n\n`);
  }

  async stop(): Promise<void> {
    for (const response of this.open) response.destroy();
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  private stream(response: ServerResponse): void {
    this.connections += 1;
    response.writeHead(200, { 'content-type': 'text/event-stream' });
    response.write(': connected\n\n');
    if (this.closeOnOpen) return void response.end();
    this.open.add(response);
    response.on('close', () => this.open.delete(response));
  }
}

function forward(request: IncomingMessage, response: ServerResponse, base: string): void {
  const upstream = httpRequest(new URL(request.url ?? '/', base), { method: request.method, headers: request.headers }, (answer) => {
    response.writeHead(answer.statusCode ?? 502, answer.headers);
    answer.pipe(response);
  });
  upstream.on('error', () => response.writeHead(502, { 'content-type': 'application/json' }).end('{"error":"upstream"}'));
  request.pipe(upstream);
}
