import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One stream of a Loki answer: its labels and `[nanosecond timestamp, line]` pairs, newest first. */
export interface LokiStream {
  stream: Record<string, string>;
  values: [string, string][];
}

/** How the next `query_range` requests are answered. */
export type LokiBehaviour = { kind: 'streams'; streams: LokiStream[] } | { kind: 'status'; status: number; body: string } | { kind: 'hang' };

/**
 * Loki's `GET /loki/api/v1/query_range` at the wire (Loki itself is not installable here): it
 * answers a streams result the way Loki does (each stream newest first), a failure status, or
 * never; it records every query's parameters.
 */
export class ScriptedLoki {
  behaviour: LokiBehaviour = { kind: 'streams', streams: [] };
  readonly queries: URLSearchParams[] = [];
  url = '';
  private server: Server | undefined;
  private readonly held = new Set<ServerResponse>();

  async start(): Promise<string> {
    this.server = createServer((request, response) => {
      const url = new URL(request.url ?? '/', 'http://loki');
      if (request.method !== 'GET' || url.pathname !== '/loki/api/v1/query_range') {
        response.writeHead(404).end('404 page not found\n');
        return;
      }
      this.queries.push(url.searchParams);
      const behaviour = this.behaviour;
      if (behaviour.kind === 'hang') {
        this.held.add(response);
        return;
      }
      if (behaviour.kind === 'status') {
        response.writeHead(behaviour.status, { 'content-type': 'text/plain; charset=utf-8' }).end(behaviour.body);
        return;
      }
      response
        .writeHead(200, { 'content-type': 'application/json' })
        .end(JSON.stringify({ status: 'success', data: { resultType: 'streams', result: behaviour.streams, stats: {} } }));
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this.url;
  }

  async stop(): Promise<void> {
    for (const response of this.held) response.destroy();
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}
