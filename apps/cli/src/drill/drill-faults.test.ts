import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { DRILL_FAULTS, isDrillFault, planFault } from './drill-faults.js';

describe('drill faults', () => {
  it('knows the five faults and nothing else', () => {
    expect(DRILL_FAULTS).toEqual(['crash', 'hang', 'memory-leak', 'errors', 'latency']);
    expect(isDrillFault('hang')).toBe(true);
    expect(isDrillFault('rm -rf')).toBe(false);
  });

  it('plans each fault as a chaos request; rate drills need traffic', () => {
    expect(planFault('crash')).toMatchObject({ path: '/chaos/crash', body: { delay_ms: 100 }, needsTraffic: false });
    expect(planFault('hang')).toMatchObject({ path: '/chaos/hang', needsTraffic: false });
    expect(planFault('memory-leak', { leakMbPerSecond: 5, leakMaxMb: 100 })).toMatchObject({
      path: '/chaos/memory-leak',
      body: { mb_per_second: 5, max_mb: 100 },
    });
    expect(planFault('errors', { errorRate: 0.25 })).toMatchObject({ body: { rate: 0.25 }, needsTraffic: true });
    expect(planFault('latency')).toMatchObject({ body: { ms: 3000, probability: 1 }, needsTraffic: true });
  });

  it('expects alerts that the shipped Prometheus rules define', async () => {
    const rules = await readFile(new URL('../../../../deploy/prometheus/rules/market-predictor.yml', import.meta.url), 'utf8');
    for (const fault of DRILL_FAULTS) expect(rules).toContain(`alert: ${planFault(fault).expectedAlert}\n`);
  });

});
