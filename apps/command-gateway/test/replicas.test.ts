import { randomBytes } from 'node:crypto';
import type { ParsedExecuteCommandRequest } from '@atb/contracts';
import { openDatabase } from '@atb/storage';
import { createTestSchema, describeWithComponent, probePostgres } from '@atb/testing';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { hashOf } from '../src/store/idempotent-commands.js';
import { IdempotencyStore } from '../src/store/idempotency-store.js';
import { TargetClaimsStore } from '../src/store/target-claims-store.js';
import type { FakeRuntime } from './support/fake-runtime.js';
import { commandRequest, type GatewayFixture, startGateway } from './support/gateway-fixture.js';

/** Gateways on one fresh schema; each has its own recording runtime, closed after the test. */
function useGatewayReplicas() {
  let schema: Awaited<ReturnType<typeof createTestSchema>>;
  let token: string;
  const gateways: GatewayFixture[] = [];
  const start = async (replicaId: string, environment: Record<string, string> = {}, runtime?: FakeRuntime) => {
    const gateway = await startGateway(
      { AI_COMMAND_GATEWAY_TOKEN: token, DATABASE_URL: schema.url, GATEWAY_CLAIM_LEASE_SECONDS: '0.6', ...environment },
      { databaseSchema: schema.schema, replicaId, ...(runtime ? { runtime } : {}) },
    );
    gateways.push(gateway);
    return gateway;
  };
  const mutations = () => [...new Set(gateways.map((gateway) => gateway.runtime))].reduce((total, runtime) => total + runtime.mutations().length, 0);

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

  /** A claim as a replica leaves it when it dies mid-request: its lease runs out, nobody renews it. */
  async function withStore<T>(use: (store: IdempotencyStore) => Promise<T>): Promise<T> {
    const schema = currentSchema();
    const database = openDatabase<unknown>(schema.url, { schema: schema.schema, poolSize: 1 });
    try {
      return await use(await IdempotencyStore.open(database));
    } finally {
      await database.close();
    }
  }
  async function withTargets<T>(use: (targets: TargetClaimsStore) => Promise<T>): Promise<T> {
    const schema = currentSchema();
    const database = openDatabase<unknown>(schema.url, { schema: schema.schema, poolSize: 1 });
    try {
      return await use(await TargetClaimsStore.open(database));
    } finally {
      await database.close();
    }
  }
  type KeyedRequest = ReturnType<typeof commandRequest> & { idempotency_key: string };
  const claimOfDead = (request: KeyedRequest, requestId: string, dispatched?: { operation: string }) =>
    withStore(async (store) => {
      const hash = hashOf({ ...request, dry_run: false } as ParsedExecuteCommandRequest);
      await store.claim(request.source_id, request.idempotency_key, hash, requestId, 'gateway-dead', new Date(Date.now() + 400));
      if (dispatched) await store.markDispatched(request.source_id, request.idempotency_key, 'gateway-dead', { operation: dispatched.operation, target: 'market-predictor' });
      await new Promise((resolve) => setTimeout(resolve, 500));
    });
  const findClaim = (request: KeyedRequest) => withStore((store) => store.find(request.source_id, request.idempotency_key));

  it('runs, once, the expired claim of a replica that died before dispatching anything, on the retry', async () => {
    const request = { ...commandRequest('restart the service'), idempotency_key: 'incident-3-restart' };
    await claimOfDead(request, 'request-of-the-dead-1');
    // It had taken the target's lock (for a whole operation's lease) and counted the restart in the window.
    await withTargets(async (targets) => {
      const now = Date.now();
      await targets.lockTarget('market-predictor', 'gateway-dead', 'request-of-the-dead-1', now + 600_000, now);
      await targets.countWithinLimit('restart market-predictor', 'request-of-the-dead-1', now, now - 600_000, 3);
    });
    const gateway = await start('gateway-a');
    expect(mutations()).toBe(0); // start-up leaves it for its retry
    const [retried, again] = await Promise.all([gateway.execute(request), gateway.execute(request)]);
    expect(retried.body).toMatchObject({ request_id: 'request-of-the-dead-1', overall_status: 'success' });
    expect(again.body).toEqual(retried.body);
    expect(mutations()).toBe(1);
    expect((await withTargets((targets) => targets.countInWindow('restart market-predictor', Date.now() - 600_000))).count).toBe(1);
  });

  it('answers "outcome unknown" for a dispatched claim of a dead replica the runtime does not confirm, at start-up and while running', async () => {
    const gateway = await start('gateway-a');
    const atStart = { ...commandRequest('restart the service'), idempotency_key: 'incident-4-restart' };
    const whileRunning = { ...commandRequest('stop it'), idempotency_key: 'incident-5-stop' };
    // Dispatched after the target last started, and it did not start again: nothing shows it ran.
    await claimOfDead(atStart, 'request-of-the-dead-2', { operation: 'restart' });
    const second = await start('gateway-b', {}, gateway.runtime); // the same engine as gateway-a
    expect(await findClaim(atStart)).toMatchObject({ state: 'done' });
    const retried = await second.execute(atStart);
    expect(retried.body).toMatchObject({ request_id: 'request-of-the-dead-2', overall_status: 'error' });
    expect(retried.body.execution_details.execution_result).toMatch(/gateway-dead stopped; its outcome is unknown/);

    await claimOfDead(whileRunning, 'request-of-the-dead-3', { operation: 'stop' });
    const answer = await gateway.execute(whileRunning);
    expect(answer.body).toMatchObject({ request_id: 'request-of-the-dead-3', overall_status: 'error' });
    expect(mutations()).toBe(0);
  });

  it('answers success, not running it again, for a dispatched restart the runtime shows took effect', async () => {
    const request = { ...commandRequest('restart the service'), idempotency_key: 'incident-6-restart' };
    await claimOfDead(request, 'request-of-the-dead-4', { operation: 'restart' });
    await withTargets(async (targets) => targets.lockTarget('market-predictor', 'gateway-dead', 'request-of-the-dead-4', Date.now() + 600_000, Date.now()));
    // The target (this runtime's container) started after the dead replica dispatched the restart.
    const gateway = await start('gateway-a');
    const retried = await gateway.execute(request);
    expect(retried.body).toMatchObject({ request_id: 'request-of-the-dead-4', overall_status: 'success' });
    expect(retried.body.execution_details.execution_result).toMatch(/executed by gateway gateway-dead before it stopped: market-predictor is running and started at/);
    expect(mutations()).toBe(0);
    // Its operation is over, so the target lock the dead replica held for it is free.
    expect((await gateway.execute(commandRequest('restart the service'))).body.overall_status).toBe('success');
    expect(mutations()).toBe(1);
  });
});
