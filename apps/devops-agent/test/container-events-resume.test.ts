import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ContainerEvent } from '@atb/contracts';
import { afterEach, describe, expect, it } from 'vitest';
import { eventually, startAgent } from './support/agent-harness.js';
import { FakeTarget } from './support/fake-target.js';

const event = (id: string, type: ContainerEvent['type'], extra: Partial<ContainerEvent> = {}): ContainerEvent => ({
  id,
  type,
  target: 'market-predictor',
  container_id: 'c0ffee',
  time: new Date(Number(id) / 1000).toISOString(),
  runtime: 'docker',
  initiated_by: 'external',
  ...extra,
});
const frame = (message: ContainerEvent) => `id: ${message.id}\nevent: ${message.type}\ndata: ${JSON.stringify(message)}\n\n`;

/**
 * The agent's side of `GET /events` at the wire: a scripted server speaks server-sent events
 * (the gateway itself is tested against real engines elsewhere) and drops the stream on cue.
 */
describe('container events: resuming after a dropped stream', () => {
  let server: Server | undefined;
  const target = new FakeTarget();
  let agent: Awaited<ReturnType<typeof startAgent>> | undefined;

  afterEach(async () => {
    await agent?.close();
    agent = undefined;
    server?.closeAllConnections();
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
    await target.stop();
  });

  it('reconnects with Last-Event-ID; a repeated event changes nothing; a start clears the death once /health answers', async () => {
    const base = Date.now() * 1000;
    const [died, started] = [String(base), String(base + 1)];
    const connections: { lastEventId: string | undefined; authorization: string | undefined }[] = [];
    server = createServer((request: IncomingMessage, response: ServerResponse) => {
      if (request.url !== '/events') return void response.writeHead(404).end('{}');
      connections.push({ lastEventId: request.headers['last-event-id'] as string | undefined, authorization: request.headers.authorization });
      response.writeHead(200, { 'content-type': 'text/event-stream' });
      response.write(': connected\n\n');
      if (connections.length === 1) {
        // The death, then the stream breaks.
        response.write(frame(event(died, 'container-died', { exit_code: 70 })));
        setTimeout(() => response.destroy(), 300);
        return;
      }
      // After the reconnect: the death again (as a gateway replay might), then the start.
      response.write(frame(event(died, 'container-died', { exit_code: 70 })));
      response.write(frame(event(started, 'container-started', { initiated_by: 'gateway', request_id: 'r-1', operation: 'restart' })));
    });
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    target.mode = 'down';
    agent = await startAgent({ AI_COMMAND_GATEWAY_URL: url, MARKET_PREDICTOR_URL: await target.start(), SAFETY_MODE: 'true', HEALTH_RECHECK_TIMEOUT: '0.2', VERIFICATION_WINDOW: '10' });
    const app = agent.agent.app;

    await eventually(async () => connections.length >= 2 || undefined, 10_000, 'the agent to reconnect');
    expect(connections[0]?.lastEventId).toBeUndefined();
    expect(connections[1]?.lastEventId).toBe(died);
    expect(connections[1]?.authorization).toMatch(/^Bearer /);
    const [incident] = await eventually(async () => {
      const found = (await app.inject({ url: '/incidents' })).json().incidents as { id: string; state: string }[];
      return found.length > 0 ? found : undefined;
    }, 10_000, 'the incident of the death');
    await eventually(async () => ((await app.inject({ url: '/status' })).json().container_events.duplicates as number) >= 1 || undefined, 10_000, 'the repeat');
    // Not answering yet: the death stays firing although the container started.
    await new Promise((resolve) => setTimeout(resolve, 500));
    const firing = (await app.inject({ url: `/incidents/${incident!.id}` })).json().alerts as { status: string; labels: Record<string, string> }[];
    expect(firing).toEqual([expect.objectContaining({ status: 'firing', labels: expect.objectContaining({ alertname: 'ContainerDown' }) })]);
    target.mode = 'healthy';
    await eventually(async () => {
      const found = (await app.inject({ url: `/incidents/${incident!.id}` })).json();
      return found.state === 'resolved' ? found : undefined;
    }, 10_000, 'the incident to resolve once /health answers');
    const status = (await app.inject({ url: '/status' })).json().container_events;
    expect(status).toMatchObject({ events: 2, duplicates: 1, raised: 1, cleared: 1, gateway_initiated: 1, last_event_id: started });
    expect((await app.inject({ url: '/incidents' })).json().count).toBe(1);
  });

  it('events-missed makes the agent check the monitored service itself, which finds it down', async () => {
    server = createServer((_request: IncomingMessage, response: ServerResponse) => {
      response.writeHead(200, { 'content-type': 'text/event-stream' });
      const missed = { type: 'events-missed', last_event_id: '1', message: 'events after last_event_id are no longer held' };
      response.write(`event: events-missed\ndata: ${JSON.stringify(missed)}\n\n`);
    });
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    target.mode = 'down';
    agent = await startAgent({ AI_COMMAND_GATEWAY_URL: url, MARKET_PREDICTOR_URL: await target.start(), SAFETY_MODE: 'true', HEALTH_RECHECK_DELAY: '0.05' });
    const app = agent.agent.app;
    await eventually(async () => ((await app.inject({ url: '/status' })).json().container_events.missed as number) >= 1 || undefined, 10_000, 'events-missed');
    const [incident] = await eventually(async () => {
      const found = (await app.inject({ url: '/incidents' })).json().incidents as { alertname: string }[];
      return found.length > 0 ? found : undefined;
    }, 10_000, 'the incident the health check opens');
    expect(incident?.alertname).toBe('TargetDown');
  });

  it('a restarted agent resumes after the last event it handled (kept in DATA_DIR)', async () => {
    const dataDirectory = mkdtempSync(join(tmpdir(), 'agent-events-position-'));
    const id = String(Date.now() * 1000);
    const seen: (string | undefined)[] = [];
    server = createServer((request: IncomingMessage, response: ServerResponse) => {
      seen.push(request.headers['last-event-id'] as string | undefined);
      response.writeHead(200, { 'content-type': 'text/event-stream' });
      if (seen.length === 1) response.write(frame(event(id, 'container-stopped', { initiated_by: 'gateway', request_id: 'r-2', operation: 'stop' })));
      else response.write(': connected\n\n');
    });
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
    const environment = { AI_COMMAND_GATEWAY_URL: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, MARKET_PREDICTOR_URL: await target.start(), DATA_DIR: dataDirectory };
    try {
      const first = await startAgent(environment);
      await eventually(async () => ((await first.agent.app.inject({ url: '/status' })).json().container_events.events as number) >= 1 || undefined, 10_000, 'the event');
      await first.close();
      server.closeAllConnections();
      agent = await startAgent(environment);
      await eventually(async () => seen.length >= 2 || undefined, 10_000, 'the restarted agent to connect');
      expect(seen).toEqual([undefined, id]);
      expect((await agent.agent.app.inject({ url: '/incidents' })).json().count).toBe(0);
    } finally {
      await agent?.close();
      agent = undefined;
      rmSync(dataDirectory, { recursive: true, force: true });
    }
  });
});
