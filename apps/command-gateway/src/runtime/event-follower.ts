import type { EventSubscription, EventSubscriptionOptions } from './container-runtime.js';

export interface FollowOptions extends EventSubscriptionOptions {
  /**
   * Opens the stream from the current position (the caller keeps the position, so a reopened
   * stream resumes where the last one stopped). Rejects when the engine cannot be reached.
   */
  open(signal: AbortSignal): Promise<AsyncIterable<Uint8Array | string>>;
  /** One line of the stream (newline-delimited JSON), without its newline. */
  onLine(line: string): void;
  /** First wait before reopening, doubled after each failure up to `maxBackoffMs`; default 250. */
  initialBackoffMs?: number;
  /** Default 2,000: an engine back after a restart is followed again within about 2 s. */
  maxBackoffMs?: number;
}

/**
 * Follows a newline-delimited stream for ever: when it ends or breaks (the engine restarted, the
 * connection dropped) it is reopened after a backoff that resets once a stream opens. Stops on
 * `close()`.
 */
export function followLines(options: FollowOptions): EventSubscription {
  const controller = new AbortController();
  const initial = options.initialBackoffMs ?? 250;
  const max = options.maxBackoffMs ?? 2000;
  const loop = (async () => {
    let backoff = initial;
    while (!controller.signal.aborted) {
      try {
        const stream = await options.open(controller.signal);
        backoff = initial;
        options.onConnected?.();
        await readLines(stream, options.onLine);
        if (!controller.signal.aborted) options.onError?.(new Error('the event stream ended'));
      } catch (error) {
        if (controller.signal.aborted) break;
        options.onError?.(error instanceof Error ? error : new Error(String(error)));
      }
      await sleep(backoff, controller.signal);
      backoff = Math.min(max, backoff * 2);
    }
  })();
  return {
    async close() {
      controller.abort();
      await loop;
    },
  };
}

async function readLines(stream: AsyncIterable<Uint8Array | string>, onLine: (line: string) => void): Promise<void> {
  let pending = '';
  const decoder = new TextDecoder();
  for await (const chunk of stream) {
    pending += typeof chunk === 'string' ? chunk : decoder.decode(chunk, { stream: true });
    let newline = pending.indexOf('\n');
    while (newline >= 0) {
      const line = pending.slice(0, newline).trim();
      pending = pending.slice(newline + 1);
      if (line) onLine(line);
      newline = pending.indexOf('\n');
    }
  }
  if (pending.trim()) onLine(pending.trim());
}

function sleep(milliseconds: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, milliseconds);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}
