import type { AgentTimelineEvent } from '@atb/contracts';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { IncidentEvent } from '../store/agent-store.js';
import type { IncidentStore } from '../store/incident-store.js';

export interface TimelineStreamOptions {
  /** Milliseconds between reads of the timeline (default 300). */
  pollMs?: number;
  /** Milliseconds a hole in the ids is waited for before it is taken as a rolled-back id (default 2000). */
  settleMs?: number;
  /** Milliseconds between keep-alive comments (default 15,000). */
  heartbeatMs?: number;
}

/**
 * Which of the entries read after `cursor` may be sent now. Ids are handed out before commit,
 * so a later id can be visible before an earlier one: entries are sent only up to the first hole,
 * and a hole counts as a rolled-back id (never to appear) once the entry after it is `settleMs`
 * old. A client that resumes after the last id it saw therefore misses nothing.
 */
export function deliverable(entries: IncidentEvent[], cursor: number, now: number, settleMs: number): IncidentEvent[] {
  const ready: IncidentEvent[] = [];
  let expected = cursor + 1;
  for (const entry of entries) {
    if (entry.id !== expected && now - Date.parse(entry.at) < settleMs) break;
    ready.push(entry);
    expected = entry.id + 1;
  }
  return ready;
}

/** Where a stream starts: `Last-Event-ID` (a reconnect), else `?after=`, else the newest entry now. */
export async function startingCursor(request: FastifyRequest, store: Pick<IncidentStore, 'latestEventId'>): Promise<number> {
  const header = request.headers['last-event-id'];
  const after = (request.query as { after?: number }).after;
  if (typeof header === 'string' && /^\d{1,15}$/.test(header.trim())) return Number(header.trim());
  if (typeof after === 'number') return after;
  return store.latestEventId();
}

const frame = (entry: IncidentEvent): string => {
  const event: AgentTimelineEvent = { id: entry.id, incident_id: entry.incident_id, at: entry.at, type: entry.type, data: entry.data };
  return `id: ${entry.id}\nevent: timeline\ndata: ${JSON.stringify(event)}\n\n`;
};

/**
 * Streams the timeline entries after `cursor` as server-sent events until the client goes away
 * or `closing` fires. Each connection reads the store itself, so every replica's entries arrive.
 */
export function streamTimeline(
  request: FastifyRequest,
  reply: FastifyReply,
  store: Pick<IncidentStore, 'eventsAfter'>,
  cursor: number,
  options: TimelineStreamOptions & { onEnd: (end: () => void) => () => void },
): void {
  const pollMs = options.pollMs ?? 300;
  const settleMs = options.settleMs ?? 2000;
  reply.hijack();
  const raw = reply.raw;
  raw.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-store', connection: 'keep-alive', 'x-request-id': request.id });
  raw.write(`retry: 1000\n: connected after ${cursor}\n\n`);
  let ended = false;
  let reading = false;
  const read = async () => {
    if (reading || ended) return;
    reading = true;
    try {
      const entries = deliverable(await store.eventsAfter(cursor, 500), cursor, Date.now(), settleMs);
      for (const entry of entries) {
        if (ended) return;
        raw.write(frame(entry));
        cursor = entry.id;
      }
    } catch (error) {
      raw.write(`: read failed: ${String(error).split('\n')[0]}\n\n`);
    } finally {
      reading = false;
    }
  };
  const poll = setInterval(() => void read(), pollMs);
  const heartbeat = setInterval(() => raw.write(': keep-alive\n\n'), options.heartbeatMs ?? 15_000);
  const end = () => {
    if (ended) return;
    ended = true;
    clearInterval(poll);
    clearInterval(heartbeat);
    forget();
    raw.end();
  };
  const forget = options.onEnd(end);
  request.raw.on('close', end);
  void read();
}
