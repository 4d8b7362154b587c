import { describe, expect, it } from 'vitest';
import type { TestRun } from '../tasks/task.js';
import { acceptRun, regressions } from './run-in-sandbox.js';

function run(tests: Record<string, boolean>, extra: Partial<TestRun> = {}): TestRun {
  const list = Object.entries(tests).map(([name, passed]) => ({ name, passed }));
  return {
    command: ['node', '--test'],
    passed: list.every((test) => test.passed),
    exit_code: list.every((test) => test.passed) ? 0 : 1,
    timed_out: false,
    out_of_memory: false,
    duration_ms: 1,
    tests: list,
    output: '',
    ...extra,
  };
}

describe('judging a test run against the baseline', () => {
  const baseline = run({ 'bug is fixed': false, 'old feature': true, 'unrelated flaky': false });

  it('accepts a fully passing run', () => {
    expect(acceptRun(baseline, run({ 'bug is fixed': true, 'old feature': true, 'unrelated flaky': true }))).toEqual({ accepted: true });
  });

  it('accepts a fix that leaves only pre-existing failures, and names them', () => {
    const verdict = acceptRun(baseline, run({ 'bug is fixed': true, 'old feature': true, 'unrelated flaky': false }));
    expect(verdict).toEqual({ accepted: true, note: expect.stringContaining('unrelated flaky') });
  });

  it('refuses a run that fixed nothing', () => {
    expect(acceptRun(baseline, run({ 'bug is fixed': false, 'old feature': true, 'unrelated flaky': false })).accepted).toBe(false);
  });

  it('refuses a regression even when the bug is fixed', () => {
    const after = run({ 'bug is fixed': true, 'old feature': false, 'unrelated flaky': true });
    expect(regressions(baseline, after)).toEqual(['old feature']);
    expect(acceptRun(baseline, after).accepted).toBe(false);
  });

  it('refuses new failures, timeouts, and runs without per-test outcomes', () => {
    expect(acceptRun(baseline, run({ 'bug is fixed': true, 'old feature': true, 'unrelated flaky': false, 'new test': false })).accepted).toBe(false);
    expect(acceptRun(baseline, run({ 'bug is fixed': true, 'old feature': true, 'unrelated flaky': false }, { timed_out: true })).accepted).toBe(false);
    expect(acceptRun(baseline, { ...run({}), passed: false, tests: undefined }).accepted).toBe(false);
  });
});
