import { afterEach, describe, expect, it } from 'vitest';
import { CRASH_EXIT_CODE } from '../../src/chaos/fault-injector.js';
import { type PredictorProcess, startPredictorProcess } from './predictor-process.js';

const post = (url: string, body: unknown) =>
  fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

describe('market-predictor as a process', () => {
  let predictor: PredictorProcess | undefined;
  afterEach(async () => {
    await predictor?.kill();
    predictor = undefined;
  });

  it('the crash drill answers 202 and the process exits with a non-zero status', async () => {
    predictor = await startPredictorProcess({ CHAOS_ENABLED: 'true' });
    const response = await post(`${predictor.url}/chaos/crash`, { delay_ms: 50 });
    expect(response.status).toBe(202);
    const { code } = await predictor.exited;
    expect(code).toBe(CRASH_EXIT_CODE);
  });

  it('shuts down cleanly on SIGTERM even while the hang drill holds requests', async () => {
    predictor = await startPredictorProcess({ CHAOS_ENABLED: 'true' });
    expect((await post(`${predictor.url}/chaos/hang`, {})).status).toBe(202);
    // A request now gets no answer…
    const held = fetch(`${predictor.url}/health`, { signal: AbortSignal.timeout(30_000) }).then(
      (response) => `answered ${response.status}`,
      (error: Error) => `failed: ${error.name}`,
    );
    const unanswered = await Promise.race([held, new Promise((resolve) => setTimeout(() => resolve('pending'), 500))]);
    expect(unanswered).toBe('pending');
    // …and SIGTERM still ends the process with status 0 (the shutdown timeout would exit 1).
    predictor.child.kill('SIGTERM');
    const { code } = await predictor.exited;
    expect(code, predictor.output()).toBe(0);
    expect(await held).toMatch(/^failed/);
  });

  it('exits with status 78 naming the variable when the configuration is bad', async () => {
    const failure = startPredictorProcess({ CHAOS_ENABLED: 'maybe' });
    await expect(failure).rejects.toThrow(/exited with status 78/);
    await expect(failure).rejects.toThrow(/CHAOS_ENABLED: expected true or false \(received "maybe"\)/);
  });
});
