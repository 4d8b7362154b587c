import { describe, expect, it } from 'vitest';
import { startGateway } from './support/gateway-fixture.js';
import { SseClient } from './support/sse-client.js';

describe('GET /events over a real socket (recording fake engine)', () => {
  it('streams allowlisted events, resumes by ?last_event_id=, and ends open streams when the gateway closes', async () => {
    const gateway = await startGateway({}, { events: { heartbeatMs: 100 } });
    const baseUrl = await gateway.service.listen();
    const headers = { authorization: `Bearer ${gateway.token}` };
    const client = await SseClient.open(`${baseUrl}/events`, headers);
    try {
      await client.until(() => client.comments > 0, 'the stream to open');
      const time = new Date().toISOString();
      gateway.runtime.emit({ type: 'container-died', target: 'market-predictor', container_id: 'c1', time, labels: {}, exit_code: 1 });
      gateway.runtime.emit({ type: 'container-died', target: 'not-allowlisted', container_id: 'c2', time, labels: {}, exit_code: 1 });
      gateway.runtime.emit({ type: 'container-started', target: 'market-predictor', container_id: 'c1', time, labels: {} });
      await client.until(() => client.events().length >= 2, 'two events');
      expect(client.events().map((event) => [event.type, event.target, event.initiated_by])).toEqual([
        ['container-died', 'market-predictor', 'external'],
        ['container-started', 'market-predictor', 'external'],
      ]);
      const [died, started] = client.events();
      const resumed = await SseClient.open(`${baseUrl}/events?last_event_id=${died?.id}`, headers);
      await resumed.until(() => resumed.events().length >= 1, 'the replayed event');
      expect(resumed.events().map((event) => event.id)).toEqual([started?.id]);

      const closing = Date.now();
      await gateway.close();
      expect(Date.now() - closing).toBeLessThan(3000);
      await resumed.close();
    } finally {
      await client.close();
    }
  });
});
