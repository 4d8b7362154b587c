import { readServerSentEvents, type ServerSentEvent } from '@atb/clients';
import { expect } from 'vitest';

/**
 * Reads `url`'s server-sent events until `until` holds for the events so far (or `timeoutMs`
 * pass). `opened` is called once the headers arrived: the stream's starting point is then fixed.
 */
export async function readEventsUntil(
  url: string,
  options: { headers?: Record<string, string>; until: (events: ServerSentEvent[]) => boolean; timeoutMs?: number; opened?: () => void },
): Promise<ServerSentEvent[]> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), options.timeoutMs ?? 10_000);
  const events: ServerSentEvent[] = [];
  try {
    const response = await fetch(url, { headers: { accept: 'text/event-stream', ...options.headers }, signal: controller.signal });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
    options.opened?.();
    for await (const event of readServerSentEvents(response.body!)) {
      events.push(event);
      if (options.until(events)) break;
    }
  } catch (error) {
    if (!controller.signal.aborted) throw error;
  } finally {
    clearTimeout(timer);
    controller.abort();
  }
  return events;
}
