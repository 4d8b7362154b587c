import { type ContainerEvent, containerEventSchema } from '@atb/contracts';

export interface SseMessage {
  id?: string;
  event: string;
  data: unknown;
}

/**
 * A reader of the gateway's `GET /events` over a real socket, parsing the server-sent events
 * wire format itself (fields `id`, `event`, `data`, comment lines). Every container event is
 * validated against `containerEventSchema`, so a malformed one fails the test.
 */
export class SseClient {
  readonly messages: SseMessage[] = [];
  comments = 0;
  status = 0;
  private readonly controller = new AbortController();
  private done: Promise<void> = Promise.resolve();

  static async open(url: string, headers: Record<string, string>): Promise<SseClient> {
    const client = new SseClient();
    const response = await fetch(url, { headers, signal: client.controller.signal });
    client.status = response.status;
    if (response.ok && response.body) client.done = client.read(response.body);
    else await response.body?.cancel();
    return client;
  }

  /** Container events received, optionally of one target. */
  events(target?: string): ContainerEvent[] {
    return this.messages
      .filter((message) => message.event.startsWith('container-'))
      .map((message) => message.data as ContainerEvent)
      .filter((event) => target === undefined || event.target === target);
  }

  get lastId(): string | undefined {
    return this.messages.findLast((message) => message.id !== undefined)?.id;
  }

  async until<T>(check: () => T | undefined | false, description: string, timeoutMs = 20_000): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const value = check();
      if (value) return value;
      if (Date.now() > deadline) {
        const seen = this.messages.map((message) => `${message.id ?? '-'} ${message.event} ${JSON.stringify(message.data)}`);
        throw new Error(`timed out waiting for ${description}; received:\n${seen.join('\n')}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  }

  async close(): Promise<void> {
    this.controller.abort();
    await this.done;
  }

  private async read(body: ReadableStream<Uint8Array>): Promise<void> {
    const decoder = new TextDecoder();
    let pending = '';
    try {
      for await (const chunk of body) {
        pending += decoder.decode(chunk, { stream: true });
        let boundary = pending.indexOf('\n\n');
        while (boundary >= 0) {
          this.parse(pending.slice(0, boundary));
          pending = pending.slice(boundary + 2);
          boundary = pending.indexOf('\n\n');
        }
      }
    } catch (error) {
      if (!this.controller.signal.aborted) throw error;
    }
  }

  private parse(block: string): void {
    const fields: Record<string, string> = {};
    for (const line of block.split('\n')) {
      if (line.startsWith(':')) {
        this.comments += 1;
        continue;
      }
      const colon = line.indexOf(':');
      if (colon <= 0) continue;
      fields[line.slice(0, colon)] = line.slice(colon + 1).replace(/^ /, '');
    }
    if (fields.data === undefined) return;
    const data = JSON.parse(fields.data) as unknown;
    const event = fields.event ?? 'message';
    if (event.startsWith('container-')) containerEventSchema.parse(data);
    this.messages.push({ ...(fields.id === undefined ? {} : { id: fields.id }), event, data });
  }
}
