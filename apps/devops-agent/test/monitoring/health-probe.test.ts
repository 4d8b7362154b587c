import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { isHealthy, probeHealth } from '../../src/monitoring/health-probe.js';

/** A `/health` endpoint that records each request's `Connection` header and counts connections. */
async function target(options: { keepAliveTimeoutMs: number; answer?: boolean }) {
  const seen = { connections: 0, headers: [] as (string | undefined)[] };
  const server = createServer({ keepAliveTimeout: options.keepAliveTimeoutMs }, (request, response) => {
    seen.headers.push(request.headers.connection);
    if (options.answer === false) return; // never answers
    response.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"healthy"}');
  });
  server.on('connection', () => {
    seen.connections += 1;
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, seen, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('the health probe', () => {
  const servers: Server[] = [];
  afterEach(() => {
    for (const server of servers.splice(0)) {
      server.closeAllConnections();
      server.close();
    }
  });

  it('reuses the connection of a target that keeps it open between probes', async () => {
    const { server, seen, url } = await target({ keepAliveTimeoutMs: 60_000 });
    servers.push(server);
    for (let probe = 0; probe < 4; probe += 1) {
      expect(isHealthy(await probeHealth(url, 1000))).toBe(true);
      await pause(50);
    }
    expect(seen.connections).toBe(1);
    expect(seen.headers).toEqual(['keep-alive', 'keep-alive', 'keep-alive', 'keep-alive']);
  });

  it('probes a target that drops idle connections before the next probe with Connection: close', async () => {
    const { server, seen, url } = await target({ keepAliveTimeoutMs: 100 });
    servers.push(server);
    for (let probe = 0; probe < 5; probe += 1) {
      expect(isHealthy(await probeHealth(url, 1000))).toBe(true);
      await pause(300);
    }
    // The first two were kept alive; the second found the first connection closed by the target.
    expect(seen.headers).toEqual(['keep-alive', 'keep-alive', 'close', 'close', 'close']);
    expect(seen.connections).toBe(5);
  });

  it('a target that does not answer in time is unreachable, saying how long it was given', async () => {
    const { server, url } = await target({ keepAliveTimeoutMs: 5000, answer: false });
    servers.push(server);
    const reading = await probeHealth(url, 200);
    expect(reading).toMatchObject({ reachable: false, error: 'no answer within 200 ms' });
    expect(await probeHealth('ftp://127.0.0.1:1', 200)).toMatchObject({ reachable: false, error: 'unsupported protocol ftp:' });
  });
});
