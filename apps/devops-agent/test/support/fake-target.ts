import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export type TargetMode = 'healthy' | 'down' | 'degraded' | 'slow' | 'hang';

/** A scripted `/health` endpoint (also records coding-agent and escalation webhook posts). */
export class FakeTarget {
  mode: TargetMode = 'healthy';
  slowMs = 300;
  /** The next this-many health checks answer 503 whatever the mode (a lost packet, a blip). */
  failNext = 0;
  /** When set (and the mode is `healthy`), `GET /health` answers this status with an empty body (a `204 No Content` health check). */
  healthStatus: number | undefined;
  /** `GET /health` requests received. */
  healthChecks = 0;
  readonly posts: { url: string; body: unknown; authorization?: string | undefined }[] = [];
  /** Replies for other routes: `METHOD /path` → [status, body]. */
  readonly routes = new Map<string, () => [number, unknown]>();
  private server: Server | undefined;
  private readonly held = new Set<ServerResponse>();
  url = '';

  async start(): Promise<string> {
    this.server = createServer(async (request, response) => {
      const chunks: Buffer[] = [];
      for await (const chunk of request) chunks.push(chunk as Buffer);
      const text = Buffer.concat(chunks).toString('utf8');
      const path = request.url ?? '/';
      if (request.method === 'GET' && path === '/health') {
        this.healthChecks += 1;
        if (this.mode === 'hang') {
          this.held.add(response);
          return;
        }
        if (this.failNext > 0) {
          this.failNext -= 1;
          response.writeHead(503, { 'content-type': 'application/json' }).end(JSON.stringify({ status: 'unhealthy' }));
          return;
        }
        if (this.mode === 'healthy' && this.healthStatus !== undefined) {
          response.writeHead(this.healthStatus).end();
          return;
        }
        if (this.mode === 'slow') await new Promise((resolve) => setTimeout(resolve, this.slowMs));
        const status = this.mode === 'down' ? 503 : 200;
        const state = this.mode === 'down' ? 'unhealthy' : this.mode === 'degraded' ? 'degraded' : 'healthy';
        response.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify({ status: state }));
        return;
      }
      this.posts.push({ url: `${request.method} ${path}`, body: text ? (JSON.parse(text) as unknown) : undefined, authorization: request.headers.authorization });
      const route = this.routes.get(`${request.method} ${path}`);
      const [status, body] = route ? route() : [404, { error: 'not_found' }];
      response.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
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
