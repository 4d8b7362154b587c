import type { ContainerEvent, EventsMissed } from '@atb/contracts';
import type { App } from '@atb/service-kit';
import type { ContainerEventHub } from './container-event-hub.js';

export interface EventsRouteOptions {
  /** Milliseconds between heartbeat comments on an idle stream; default 15,000. */
  heartbeatMs?: number;
}

/**
 * `GET /events`: server-sent events of the allowlisted targets (`event:` = the type, `id:` =
 * the event id, `data:` = the JSON document of `containerEventSchema`). Authenticated by the
 * gateway's bearer-token hook like every other route. A client resumes with `Last-Event-ID`
 * (or `?last_event_id=`, for clients that cannot set headers): the held events after it come
 * first, preceded by `events-missed` when some may be gone. A comment line every `heartbeatMs`
 * keeps proxies from closing an idle stream. The streams end when the gateway closes.
 */
export function registerEventsRoute(app: App, hub: ContainerEventHub, options: EventsRouteOptions = {}): void {
  const heartbeatMs = options.heartbeatMs ?? 15_000;
  const open = new Set<() => void>();
  app.addHook('preClose', async () => {
    for (const end of open) end();
  });

  app.get(
    '/events',
    {
      schema: {
        tags: ['events'],
        summary: 'Container lifecycle events of the allowlisted targets (server-sent events; resumable with Last-Event-ID)',
        description: 'Requires Authorization: Bearer <token>. Event types: container-started, container-stopped, container-died, container-restarted, container-oom, container-health-changed; events-missed on a resume with a gap.',
      },
    },
    async (request, reply) => {
      const header = request.headers['last-event-id'];
      const query = (request.query as { last_event_id?: unknown }).last_event_id;
      const given = typeof header === 'string' ? header.trim() : typeof query === 'string' ? query.trim() : '';
      const lastEventId = given === '' ? undefined : given;
      reply.hijack();
      const raw = reply.raw;
      raw.writeHead(200, {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-cache',
        connection: 'keep-alive',
        'x-request-id': request.id,
      });
      raw.write('retry: 2000\n: connected\n\n');

      let lastSent = -1;
      const write = (event: ContainerEvent) => {
        const id = Number(event.id);
        if (id <= lastSent) return;
        lastSent = id;
        raw.write(`id: ${event.id}\nevent: ${event.type}\ndata: ${JSON.stringify(event)}\n\n`);
      };
      // Listen first, then replay: an event arriving in between is written once, in order.
      const pending: ContainerEvent[] = [];
      let replaying = true;
      const unlisten = hub.listen((event) => (replaying ? pending.push(event) : write(event)));
      const replay = hub.after(lastEventId);
      if (replay.missed && lastEventId !== undefined) {
        const missed: EventsMissed = {
          type: 'events-missed',
          last_event_id: lastEventId,
          ...(replay.missed.oldest ? { oldest_event_id: replay.missed.oldest } : {}),
          message: 'events after last_event_id are no longer held (the buffer moved on or the gateway restarted): reconcile by inspecting the targets',
        };
        raw.write(`event: events-missed\ndata: ${JSON.stringify(missed)}\n\n`);
      }
      for (const event of replay.events) write(event);
      replaying = false;
      for (const event of pending) write(event);

      const heartbeat = setInterval(() => raw.write(`: heartbeat ${new Date().toISOString()}\n\n`), heartbeatMs);
      const end = () => {
        open.delete(end);
        unlisten();
        clearInterval(heartbeat);
        raw.end();
      };
      open.add(end);
      request.raw.on('close', end);
    },
  );
}
