import { randomBytes } from 'node:crypto';
import type { ParsedExecuteCommandRequest } from '@atb/contracts';
import { openDatabase } from '@atb/storage';
import { createTestSchema, describeWithComponent, probePostgres } from '@atb/testing';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { hashOf } from '../src/store/idempotent-commands.js';
import { IdempotencyStore } from '../src/store/idempotency-store.js';
import { commandRequest, type GatewayFixture, startGateway } from './support/gateway-fixture.js';

/** Gateways on one fresh schema; each has its own recording runtime, closed after the test. */
function useGatewayReplicas() {
  let schema: Awaited<ReturnType<typeof createTestSchema>>;
  let token: string;
  const gateways: GatewayFixture[] = [];
  const start = async (replicaId: string, environment: Record<string, string> = {}) => {
    const gateway = await startGateway(
      { AI_COMMAND_GATEWAY_TOKEN: token, DATABASE_URL: schema.url, GATEWAY_CLAIM_LEASE_SECONDS: '0.6', ...environment },
      { databaseSchema: schema.schema, replicaId },
    );
    gateways.push(gateway);
    return gateway;
  };
  const mutations = () => gateways.reduce((total, gateway) => total + gateway.runtime.mutations().length, 0);

  beforeEach(async () => {
    schema = await createTestSchema('gateway_replicas');
    token = randomBytes(24).toString('hex');
  });
  afterEach(async () => {
    await Promise.all(gateways.splice(0).map((gateway) => gateway.close()));
    await schema.drop();
  });
  return { start, mutations, schema: () => schema };
}

// Two (or three) gateway apps, separate instances in this process, sharing one real PostgreSQL
// schema, each with its own recording runtime: what executes is counted at the runtimes.
describeWithComponent('PostgreSQL', await probePostgres(), 'start it: pg_ctlcluster 15 main start', () => {
  const { start, mutations, schema: currentSchema } = useGatewayReplicas();

  it('executes concurrent identical requests sent to both replicas once', async () => {
    const [left, right] = [await start('gateway-a'), await start('gateway-b')];
    left.runtime.delayMs = 300;
    right.runtime.delayMs = 300;
    const request = { ...commandRequest('restart the service'), idempotency_key: 'incident-1-restart' };
    const answers = await Promise.all([left.execute(request), right.execute(request), left.execute(request), right.execute(request)]);
    expect(answers.map((answer) => answer.body.overall_status)).toEqual(['success', 'success', 'success', 'success']);
    expect(new Set(answers.map((answer) => answer.body.request_id)).size).toBe(1);
    expect(mutations()).toBe(1);
  });

  it('lets one mutation per target run across replicas, and counts the rate limit across both', async () => {
    const [left, right] = [await start('gateway-a'), await start('gateway-b')];
    // Long enough that the two racing requests overlap even on a busy machine.
    left.runtime.delayMs = 1500;
    right.runtime.delayMs = 1500;
    const racing = await Promise.all([left.execute(commandRequest('restart the service')), right.execute(commandRequest('restart the service'))]);
    expect(racing.map((answer) => answer.body.overall_status).sort()).toEqual(['rejected', 'success']);
    expect(racing.find((answer) => answer.body.overall_status === 'rejected')?.body).toMatchObject({ reason_code: 'target_busy' });
    expect((await right.execute(commandRequest('restart the service'))).body.overall_status).toBe('success');
    expect((await left.execute(commandRequest('restart the service'))).body.overall_status).toBe('success');
    const fourth = await right.execute(commandRequest('restart the service'));
    expect(fourth.body).toMatchObject({ overall_status: 'rejected', reason_code: 'rate_limited' });
    expect(fourth.body.reason).toMatch(/limit 3/);
    expect(mutations()).toBe(3);
  });

  it('leaves alone, at start-up, the live claim of another replica', async () => {
    const first = await start('gateway-a');
    first.runtime.delayMs = 1500;
    const request = { ...commandRequest('restart the service'), idempotency_key: 'incident-2-restart' };
    const running = first.execute(request);
    await new Promise((resolve) => setTimeout(resolve, 300)); // the claim is taken, the restart runs
    const second = await start('gateway-b');
    const [original, retried] = await Promise.all([running, second.execute(request)]);
    expect(original.body.overall_status).toBe('success');
    expect(retried.body).toEqual(original.body);
    expect(mutations()).toBe(1);
  });

  it('answers "outcome unknown" for the expired claim of a dead replica, at start-up and while running', async () => {
    const atStart = { ...commandRequest('restart the service'), idempotency_key: 'incident-3-restart' };
    const whileRunning = { ...commandRequest('stop it'), idempotency_key: 'incident-4-stop' };
    const schema = currentSchema();
    const database = openDatabase<unknown>(schema.url, { schema: schema.schema, poolSize: 1 });
    try {
      const store = await IdempotencyStore.open(database);
      const claimOfDead = async (request: typeof atStart, requestId: string) =>
        store.claim(
          request.source_id,
          request.idempotency_key,
          hashOf({ ...request, dry_run: false } as ParsedExecuteCommandRequest),
          requestId,
          'gateway-dead',
          new Date(Date.now() + 400),
        );
      await claimOfDead(atStart, 'request-of-the-dead-1');
      await new Promise((resolve) => setTimeout(resolve, 500)); // its lease runs out: nobody renews it
      const gateway = await start('gateway-a');
      expect(await store.find(atStart.source_id, atStart.idempotency_key)).toMatchObject({ state: 'done' });
      const retried = await gateway.execute(atStart);
      expect(retried.body).toMatchObject({ request_id: 'request-of-the-dead-1', overall_status: 'error' });
      expect(retried.body.execution_details.execution_result).toMatch(/gateway-dead stopped; its outcome is unknown/);

      await claimOfDead(whileRunning, 'request-of-the-dead-2');
      const waiting = gateway.execute(whileRunning); // waits on the live-looking claim until its lease runs out
      expect((await waiting).body).toMatchObject({ request_id: 'request-of-the-dead-2', overall_status: 'error' });
      expect(mutations()).toBe(0);
    } finally {
      await database.close();
    }
  });
});
