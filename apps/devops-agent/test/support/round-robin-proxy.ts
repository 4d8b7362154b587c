import { createServer, type IncomingHttpHeaders, request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A load balancer in front of replicas, as HAProxy would be: each request goes to the next
 * upstream in turn; an upstream that refuses or drops the connection before answering is
 * skipped and the request is sent to the next one (the requests carry idempotency keys, so a
 * resend is safe). Records how many requests each upstream answered.
 */
export class RoundRobinProxy {
  url = '';
  readonly answered = new Map<string, number>();
  /** Requests forwarded to each upstream and not answered yet. */
  readonly inFlight = new Map<string, number>();
  private next = 0;
  private server: Server | undefined;

  constructor(private readonly upstreams: string[]) {}

  async start(): Promise<string> {
    this.server = createServer(async (incoming, outgoing) => {
      const chunks: Buffer[] = [];
      for await (const chunk of incoming) chunks.push(chunk as Buffer);
      const body = Buffer.concat(chunks);
      for (let tried = 0; tried < this.upstreams.length * 3; tried += 1) {
        const upstream = this.upstreams[this.next++ % this.upstreams.length]!;
        this.inFlight.set(upstream, (this.inFlight.get(upstream) ?? 0) + 1);
        const answer = await this.forward(upstream, incoming.method ?? 'GET', incoming.url ?? '/', incoming.headers, body).finally(() =>
          this.inFlight.set(upstream, (this.inFlight.get(upstream) ?? 1) - 1),
        );
        if (!answer) continue;
        this.answered.set(upstream, (this.answered.get(upstream) ?? 0) + 1);
        outgoing.writeHead(answer.status, answer.headers).end(answer.body);
        return;
      }
      outgoing.writeHead(503, { 'content-type': 'application/json' }).end(JSON.stringify({ error: 'no upstream answered' }));
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this.url;
  }

  private forward(upstream: string, method: string, path: string, headers: IncomingHttpHeaders, body: Buffer) {
    return new Promise<{ status: number; headers: IncomingHttpHeaders; body: Buffer } | undefined>((resolve) => {
      const target = new URL(path, upstream);
      const request = httpRequest(target, { method, headers: { ...headers, host: target.host } }, (response) => {
        const parts: Buffer[] = [];
        response.on('data', (chunk: Buffer) => parts.push(chunk));
        response.on('end', () => resolve({ status: response.statusCode ?? 502, headers: response.headers, body: Buffer.concat(parts) }));
        response.on('error', () => resolve(undefined));
      });
      request.on('error', () => resolve(undefined));
      request.end(body);
    });
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}
