import { describe, expect, it } from 'vitest';
import { describeEvidence, duration, queryValueText, readingText } from '../src/evidence-text.js';
import type { Evidence } from '../src/evidence.js';

describe('evidence as sentences', () => {
  it('names every kind of evidence with units a person reads at a glance', () => {
    const evidence: Evidence = {
      gathered_at: '2026-12-02T10:00:00.000Z',
      budget_ms: 5000,
      duration_ms: 2010,
      facts: ['process-exited'],
      sources: [
        { source: 'health', status: 'ok', duration_ms: 12 },
        { source: 'logs', status: 'unavailable', detail: 'timed out', duration_ms: 2000 },
      ],
      health: { outcome: 'refused', error: 'connect ECONNREFUSED 127.0.0.1:8000', response_time_ms: 12 },
      runtime: { state: 'exited', running: false, exit_code: 70, image: 'predictor:2' },
      metrics: { up: 0, latency_p99_seconds: 0.021822460994995706, memory_bytes: 200 * 1048576, error_ratio: 0.1234 },
    };
    expect(describeEvidence(evidence)).toEqual([
      'health refused (connect ECONNREFUSED 127.0.0.1:8000) in 12 ms',
      'container exited, exit code 70, image predictor:2',
      'metrics: up=0, error ratio 12.3%, p99 22 ms, memory 200 MiB',
      'unavailable: logs (timed out)',
    ]);
  });

  it('says when the log lines came from Loki', () => {
    const signatures = [{ kind: 'exception', count: 2, example: 'TypeError: x is undefined' }];
    const base: Evidence = { gathered_at: '2026-12-02T10:00:00.000Z', budget_ms: 5000, duration_ms: 10, facts: [], sources: [] };
    expect(describeEvidence({ ...base, logs: { lines_read: 2, signatures, origin: 'loki' } })).toEqual(['logs (Loki): 2× exception: "TypeError: x is undefined"']);
    expect(describeEvidence({ ...base, logs: { lines_read: 2, signatures, origin: 'container' } })).toEqual(['logs: 2× exception: "TypeError: x is undefined"']);
  });

  it.each([
    [0.0218, '22 ms'],
    [0.9994, '999 ms'],
    [1.349, '1.35 s'],
    [12, '12 s'],
  ])('%s s reads %s', (seconds, text) => {
    expect(duration(seconds)).toBe(text);
  });

  it.each([
    ['error_ratio', 0.4, '40%'],
    ['memory_bytes', 200 * 1048576, '200 MiB'],
    ['latency_p99_seconds', 1.349, '1.35 s'],
    ['up', 1, '1'],
    ['runbook service-down', 0.333333333, '0.3333'],
  ])('a %s reading of %s reads %s', (name, value, text) => {
    expect(readingText(name, value)).toBe(text);
  });

  it('says a query with no data had none', () => {
    expect(queryValueText({ name: 'error_ratio', query: 'sum(rate(x[5m]))' })).toBe('no data');
    expect(queryValueText({ name: 'error_ratio', query: 'sum(rate(x[5m]))', value: 0 })).toBe('0%');
  });
});
