import { afterEach, describe, expect, it } from 'vitest';
import { AUTHORIZED, startAgent } from './support/agent-harness.js';
import { FakeTarget } from './support/fake-target.js';

/** Polling's quick re-check: a first failure is checked again before it is raised. */
describe('health monitor re-check', () => {
  const target = new FakeTarget();
  let agent: Awaited<ReturnType<typeof startAgent>> | undefined;

  afterEach(async () => {
    await agent?.close();
    agent = undefined;
    await target.stop();
  });

  const cycle = async () => (await agent!.agent.app.inject({ method: 'POST', headers: AUTHORIZED, url: '/monitoring/cycle' })).json();

  it('one failed check followed by a good re-check raises nothing and counts a transient failure', async () => {
    agent = await startAgent({ MARKET_PREDICTOR_URL: await target.start(), HEALTH_RECHECK_DELAY: '0.05' });
    target.failNext = 1;
    expect(await cycle()).toMatchObject({ condition: 'ok', alerts_fired: [] });
    const status = (await agent.agent.app.inject({ url: '/monitoring/status' })).json();
    expect(status).toMatchObject({ transient: 1, alerts_fired: 0, recheck_delay_seconds: 0.05 });
    expect((await agent.agent.app.inject({ url: '/incidents' })).json().count).toBe(0);
  });

  it('a failure the re-check confirms is raised once, with the probe result on the alert', async () => {
    agent = await startAgent({ MARKET_PREDICTOR_URL: await target.start(), HEALTH_RECHECK_DELAY: '0.05' });
    target.mode = 'down';
    expect(await cycle()).toMatchObject({ condition: 'down', alerts_fired: ['TargetDown'] });
    // Already raised: the next failure is not re-checked and raises nothing new.
    expect(await cycle()).toMatchObject({ condition: 'down', alerts_fired: [] });
    const [incident] = (await agent.agent.app.inject({ url: '/incidents' })).json().incidents as { id: string }[];
    const detail = (await agent.agent.app.inject({ url: `/incidents/${incident!.id}` })).json();
    const probe = JSON.parse(detail.alerts[0].annotations.probe as string);
    expect(probe).toMatchObject({ reachable: true, status: 'unhealthy', http_status: 503 });
  });

  it('a check that timed out is re-checked at once, not after HEALTH_RECHECK_DELAY: it already waited its whole timeout', async () => {
    agent = await startAgent({ MARKET_PREDICTOR_URL: await target.start(), HEALTH_CHECK_TIMEOUT: '0.3', HEALTH_RECHECK_TIMEOUT: '0.3', HEALTH_RECHECK_DELAY: '30' });
    target.mode = 'hang';
    const started = Date.now();
    expect(await cycle()).toMatchObject({ condition: 'down', alerts_fired: ['TargetDown'] });
    // Two timeouts of 0.3 s; waiting the delay would have taken 30 s more.
    expect(Date.now() - started).toBeLessThan(20_000);
    expect((await agent.agent.app.inject({ url: '/monitoring/status' })).json()).toMatchObject({ transient: 0, alerts_fired: 1 });
  });

  it('with HEALTH_RECHECK_DELAY=0 the first failure is raised at once', async () => {
    agent = await startAgent({ MARKET_PREDICTOR_URL: await target.start(), HEALTH_RECHECK_DELAY: '0' });
    target.failNext = 1;
    expect(await cycle()).toMatchObject({ condition: 'down', alerts_fired: ['TargetDown'] });
  });
});
