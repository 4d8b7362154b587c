import { freePort } from '@atb/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { evidencePorts } from '../src/analysis/evidence/evidence-sources.js';
import { gatherEvidence } from '../src/analysis/evidence/gather-evidence.js';
import { logSignatures } from '../src/analysis/evidence/log-signatures.js';
import { ERROR_LINE_FILTER, lokiEvidenceQuery } from '../src/analysis/evidence/loki-lines.js';
import { readConfig } from '../src/config.js';
import { GatewayClient } from '../src/remediation/gateway-client.js';
import { GATEWAY_TOKEN, RealGateway } from './support/real-gateway.js';
import { ScriptedLoki } from './support/scripted-loki.js';

const noHistory = { flap_count: 0, ineffective_restarts: 0, effective_restarts: 0 };
const target = { service: 'market-predictor', container: 'market-predictor' };
/** Nanoseconds since the epoch, as Loki writes timestamps. */
const at = (milliseconds: number) => `${BigInt(milliseconds) * 1_000_000n}`;

describe('log evidence from Loki (LogQL) when the gateway cannot read the logs', () => {
  const loki = new ScriptedLoki();
  const gateway = new RealGateway();
  let unreachable: GatewayClient;
  let reachable: GatewayClient;

  beforeAll(async () => {
    await loki.start();
    await gateway.start();
    unreachable = new GatewayClient({ baseUrl: `http://127.0.0.1:${await freePort()}`, sourceId: 'devops-agent', timeoutMs: 5000, attempts: 1, backoffMs: 10, token: GATEWAY_TOKEN });
    reachable = new GatewayClient({ baseUrl: gateway.url, sourceId: 'devops-agent', timeoutMs: 20_000, attempts: 1, backoffMs: 10, token: GATEWAY_TOKEN });
  });
  afterAll(async () => {
    await loki.stop();
    await gateway.stop();
  });

  const config = (environment: Record<string, string> = {}) => readConfig({ LOKI_URL: loki.url, AI_COMMAND_GATEWAY_TOKEN: GATEWAY_TOKEN, ...environment });

  it("reads the service's newest error lines with query_range, merges the streams oldest first, and names their signatures", async () => {
    const now = Date.now();
    loki.behaviour = {
      kind: 'streams',
      streams: [
        { stream: { service: 'market-predictor', instance: 'a' }, values: [[at(now - 1000), 'ERROR GET /predict status=502 connect ECONNREFUSED feed.example:443'], [at(now - 3000), 'ERROR GET /predict status=502 connect ECONNREFUSED feed.example:443 (first)']] },
        { stream: { service: 'market-predictor', instance: 'b' }, values: [[at(now - 2000), 'ERROR GET /predict status=502 connect ECONNREFUSED 10.0.0.9:443']] },
      ],
    };
    const evidence = await gatherEvidence(evidencePorts(config(), unreachable, target), noHistory, 10_000);
    expect(evidence.sources.find((source) => source.source === 'logs')).toMatchObject({ status: 'ok' });
    // The gateway could not be reached: inspect says so, the logs came from Loki.
    expect(evidence.sources.find((source) => source.source === 'runtime')).toMatchObject({ status: 'unavailable' });
    expect(evidence.logs).toEqual({
      origin: 'loki',
      lines_read: 3,
      // The newest line across both streams is the example.
      signatures: [{ kind: 'dependency-refused', count: 3, example: 'ERROR GET /predict status=502 connect ECONNREFUSED feed.example:443', dependency: 'feed.example:443' }],
      // The two streams merged, oldest first.
      excerpt: [
        'ERROR GET /predict status=502 connect ECONNREFUSED feed.example:443 (first)',
        'ERROR GET /predict status=502 connect ECONNREFUSED 10.0.0.9:443',
        'ERROR GET /predict status=502 connect ECONNREFUSED feed.example:443',
      ],
    });
    expect(evidence.facts).toEqual(expect.arrayContaining(['logs-dependency-refused']));

    const query = loki.queries.at(-1)!;
    expect(query.get('query')).toBe(`{service="market-predictor"} |~ \`${ERROR_LINE_FILTER}\``);
    expect(Object.fromEntries([...query.entries()].filter(([key]) => key !== 'query'))).toEqual({ since: '15m', limit: '200', direction: 'backward' });
  });

  it('uses the configured stream selector, with only safe characters of the names', () => {
    expect(lokiEvidenceQuery('{container="{container}", job=~".*{service}.*"}', { service: 'api"} or {x="', container: 'api-1.blue' })).toBe(
      `{container="api-1.blue", job=~".*apiorx.*"} |~ \`${ERROR_LINE_FILTER}\``,
    );
  });

  it('keeps every line the signatures know (the filter is case-insensitive RE2, like JavaScript here)', () => {
    const filter = new RegExp(ERROR_LINE_FILTER.replace(/^\(\?i\)/, ''), 'i');
    const lines = [
      'FATAL ERROR: Reached heap limit Allocation failed - JavaScript heap out of memory',
      'write failed: ENOSPC: no space left on device',
      'accept EMFILE: too many open files',
      'Error: certificate has expired (CERT_HAS_EXPIRED)',
      'getaddrinfo ENOTFOUND db.internal',
      'connect ECONNREFUSED 127.0.0.1:5432',
      'pool timeout acquiring a connection',
      'upstream feed answered in 4500 ms',
      'PRICE_FEED_URL is not set',
      'TypeError: Cannot read properties of undefined',
      'Segmentation fault (core dumped)',
      '10.0.0.1 - - "GET /predict HTTP/1.1" 503 12',
      'level=error msg="something failed"',
    ];
    for (const line of lines) {
      expect(logSignatures([line]).signatures, line).toHaveLength(1);
      expect(filter.test(line), line).toBe(true);
    }
    expect(filter.test('INFO GET /predict status=200')).toBe(false);
  });

  it("prefers the container's lines when the gateway reads them", async () => {
    loki.behaviour = { kind: 'streams', streams: [{ stream: { service: 'market-predictor' }, values: [[at(Date.now()), 'Error: certificate has expired']] }] };
    const evidence = await gatherEvidence(evidencePorts(config(), reachable, target), noHistory, 20_000);
    expect(evidence.logs).toMatchObject({ origin: 'container', signatures: [] });
    expect(evidence.logs!.lines_read).toBeGreaterThanOrEqual(1);
    expect(evidence.facts).not.toContain('logs-certificate');
  });

  it('records the logs unavailable with both reasons when Loki fails too', async () => {
    loki.behaviour = { kind: 'status', status: 400, body: 'parse error at line 1, col 2: syntax error: unexpected IDENTIFIER' };
    const evidence = await gatherEvidence(evidencePorts(config(), unreachable, target), noHistory, 10_000);
    const logs = evidence.sources.find((source) => source.source === 'logs');
    expect(logs).toMatchObject({ status: 'unavailable', detail: expect.stringMatching(/^container logs: gateway unreachable: .*; Loki: Loki answered 400: parse error/) });
    expect(evidence.logs).toBeUndefined();
  });

  it('costs at most the budget when Loki hangs, and the rest is kept', async () => {
    loki.behaviour = { kind: 'hang' };
    const health = async () => ({ outcome: 'refused' as const });
    const ports = { ...evidencePorts(config(), unreachable, target), health };
    const started = performance.now();
    const evidence = await gatherEvidence(ports, noHistory, 700);
    expect(performance.now() - started).toBeLessThan(10_000);
    expect(evidence.sources.find((source) => source.source === 'logs')).toMatchObject({ status: 'unavailable', detail: 'no answer within the evidence budget' });
    expect(evidence.sources.find((source) => source.source === 'logs')!.duration_ms).toBeGreaterThanOrEqual(650);
    expect(evidence.health).toEqual({ outcome: 'refused' });
  });

  it('is not asked without LOKI_URL: the logs come from the gateway alone', async () => {
    const asked = loki.queries.length;
    const evidence = await gatherEvidence(evidencePorts(readConfig({ AI_COMMAND_GATEWAY_TOKEN: GATEWAY_TOKEN }), unreachable, target), noHistory, 10_000);
    expect(evidence.sources.find((source) => source.source === 'logs')).toMatchObject({ status: 'unavailable', detail: expect.stringMatching(/^gateway unreachable/) });
    expect(loki.queries.length).toBe(asked);
  });
});
