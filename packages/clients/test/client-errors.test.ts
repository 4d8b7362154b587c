import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CodingAgentClient, ContractViolationError, DevopsAgentClient, GatewayClient, UpstreamRefusedError, UpstreamUnreachableError } from '../src/index.js';

/** A server answering each path with a scripted status and body, whatever the contract says. */
function scriptedServer(answers: Record<string, [number, unknown]>): Promise<{ url: string; server: Server }> {
  const server = createServer((request, response) => {
    const [status, body] = answers[request.url?.split('?')[0] ?? ''] ?? [404, { error: 'not_found', message: 'no route' }];
    response.writeHead(status, { 'content-type': 'application/json' }).end(typeof body === 'string' ? body : JSON.stringify(body));
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({ url: `http://127.0.0.1:${(server.address() as { port: number }).port}`, server })));
}

describe('clients never guess a shape', () => {
  let url: string;
  let server: Server;
  beforeAll(async () => {
    ({ url, server } = await scriptedServer({
      '/incidents': [200, { incidents: [{ id: 'inc_1', state: 'on_fire' }], count: 1, limit: 50, offset: 0 }],
      '/tasks/task_1': [200, { task_id: 'task_1', id: 'task_1', status: 'succeeded' }],
      '/tasks': [422, { error: 'validation_failed', message: 'body.repository: expected owner/name', field: 'body.repository' }],
      '/execute-docker-command': [200, { request_id: 'r1', overall_status: 'done' }],
    }));
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('an answer outside the contract is a contract_violation naming the field and what was found', async () => {
    const error = await new DevopsAgentClient({ baseUrl: url }).listIncidents().catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ContractViolationError);
    expect(error).toMatchObject({ code: 'contract_violation', category: 'upstream', field: 'incidents.0.group_key' });
    expect((error as Error).message).toMatch(/^devops-agent GET \/incidents: response field incidents\.0\.group_key: .*found nothing/);
    expect((error as ContractViolationError).issues.map((issue) => issue.field)).toContain('incidents.0.state');

    const task = await new CodingAgentClient({ baseUrl: url }).getTask('task_1').catch((caught: unknown) => caught);
    expect(task).toMatchObject({ code: 'contract_violation' });
    expect((task as ContractViolationError).issues.find((issue) => issue.field === 'status')?.message).toMatch(/found "succeeded"/);
  });

  it('an error status keeps the service message and field; no server is upstream_unreachable', async () => {
    const refused = await new CodingAgentClient({ baseUrl: url }).createTask({ repository: 'x', requirement: 'y' }).catch((caught: unknown) => caught);
    expect(refused).toBeInstanceOf(UpstreamRefusedError);
    expect(refused).toMatchObject({ code: 'upstream_refused', status: 422, field: 'body.repository' });
    const unreachable = await new DevopsAgentClient({ baseUrl: 'http://127.0.0.1:9', timeoutMs: 500 }).status().catch((caught: unknown) => caught);
    expect(unreachable).toBeInstanceOf(UpstreamUnreachableError);
    expect(unreachable).toMatchObject({ code: 'upstream_unreachable' });
  });

  it('the gateway client answers a contract violation as a result naming the field, not retried', async () => {
    const result = await new GatewayClient({ baseUrl: url, sourceId: 's', timeoutMs: 500, attempts: 3, token: 't' }).execute({
      target: 'market-predictor',
      intent: 'restart',
      context: {},
      priority: 'LOW',
      idempotencyKey: 'k',
    });
    expect(result).toMatchObject({ ok: false, code: 'contract_violation', attempts: 1, retryable: false, field: 'timestamp_processed_utc' });
  });
});
