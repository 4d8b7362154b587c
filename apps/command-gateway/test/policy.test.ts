import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkName } from '../src/policy/names.js';
import { defaultPolicy, loadPolicy, PolicyError } from '../src/policy/policy.js';
import { screenIntent } from '../src/policy/screen-intent.js';
import { validatePlan } from '../src/policy/validate-plan.js';

describe('checkName', () => {
  it.each(['market-predictor', 'web_1', 'a.b-c', 'A9'])('accepts %j', (name) => expect(checkName(name)).toBeUndefined());
  it.each([
    'market-predictor; rm -rf /',
    'a && b',
    'a|b',
    '$(id)',
    '`id`',
    'a\nb',
    '../etc',
    'a/../b',
    'mаrket-predictor', // Cyrillic а
    'market‐predictor', // Unicode hyphen
    'market predictor',
    '-flag',
    '.hidden',
    '',
    'x'.repeat(129),
  ])('refuses %j', (name) => expect(checkName(name)).toBeDefined());
});

describe('screenIntent', () => {
  it.each([
    'restart the service; rm -rf /',
    'restart && reboot',
    'show logs | grep error',
    'restart $(whoami)',
    'restart `id`',
    'restart the service\nstop it',
    'show logs of ../../etc/passwd',
    'restart with --privileged',
    'restart -v /:/host',
    'run a new container',
    'exec into it',
    'remove it',
    'rm the container',
    'prune everything',
    'kill it',
    'restart\u200bit',
  ])('refuses %j', (intent) => {
    const rejection = screenIntent(intent);
    expect(rejection?.code).toBe('forbidden_intent');
    expect(rejection?.reason).toMatch(/never|contains/);
  });
  it.each(['restart the service', 'show the last 200 log lines', 'restart market-predictor', 'list containers'])(
    'lets %j through',
    (intent) => expect(screenIntent(intent)).toBeUndefined(),
  );
});

describe('validatePlan (the one gate for every interpreter)', () => {
  const context = { sourceId: 'devops-agent', requestedTarget: 'market-predictor', policy: defaultPolicy(), maxTimeoutSeconds: 30 };
  const plan = (operation: string, target = 'market-predictor', params: Record<string, unknown> = {}) => ({
    operation,
    target,
    params,
  });

  it('accepts an allowlisted restart for the devops agent', async () => {
    const result = await validatePlan(plan('restart'), context);
    expect(result).toEqual({
      ok: true,
      plan: { operation: 'restart', target: 'market-predictor', params: {}, validated: true },
    });
  });

  it.each([
    ['an operation outside the closed set', plan('exec'), 'unknown_operation'],
    ['run', plan('run'), 'unknown_operation'],
    ['a missing operation', { target: 'market-predictor' }, 'unknown_operation'],
    ['a look-alike target', plan('restart', 'mаrket-predictor'), 'invalid_target_name'],
    ['a target with shell syntax', plan('restart', 'x;rm -rf /'), 'invalid_target_name'],
    ['another target than the requested one', plan('restart', 'postgres'), 'target_mismatch'],
    ['stop for the devops agent', plan('stop'), 'operation_not_allowed'],
    ['too many log lines', plan('logs', 'market-predictor', { tail: 5001 }), 'invalid_parameter'],
    ['zero log lines', plan('logs', 'market-predictor', { tail: 0 }), 'invalid_parameter'],
    ['a timeout longer than configured', plan('restart', 'market-predictor', { timeout_seconds: 31 }), 'invalid_parameter'],
    ['an unknown parameter', plan('restart', 'market-predictor', { privileged: true }), 'invalid_parameter'],
    ['a string parameter', plan('logs', 'market-predictor', { tail: '10; rm' }), 'invalid_parameter'],
  ])('refuses %s', async (_what, candidate, code) => {
    const result = await validatePlan(candidate, context);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.rejection.code).toBe(code);
  });

  it('refuses a source the policy does not know', async () => {
    const result = await validatePlan(plan('inspect'), { ...context, sourceId: 'someone-else' });
    expect(result).toMatchObject({ ok: false, rejection: { code: 'operation_not_allowed' } });
  });

  it('allowlists by label when the container carries it', async () => {
    const policy = { ...defaultPolicy(), targets: { names: [], labels: { 'atb.gateway': 'allow' } } };
    const labelsOf = async (name: string): Promise<Record<string, string>> => (name === 'labelled' ? { 'atb.gateway': 'allow' } : { other: 'x' });
    expect((await validatePlan(plan('restart', 'labelled'), { ...context, requestedTarget: 'labelled', policy, labelsOf })).ok).toBe(true);
    expect((await validatePlan(plan('restart', 'unlabelled'), { ...context, requestedTarget: 'unlabelled', policy, labelsOf })).ok).toBe(false);
  });

  it('refuses a target not on the allowlist even when it is the requested one', async () => {
    const result = await validatePlan(plan('restart', 'postgres'), { ...context, requestedTarget: 'postgres' });
    expect(result).toMatchObject({ ok: false, rejection: { code: 'not_allowlisted' } });
  });
});

describe('loadPolicy', () => {
  const directory = mkdtempSync(join(tmpdir(), 'gateway-policy-'));
  it('reads a YAML file and merges GATEWAY_ALLOWED_TARGETS', () => {
    const file = join(directory, 'policy.yaml');
    writeFileSync(
      file,
      'targets:\n  names: [web]\nsources:\n  ops-bot:\n    operations: [restart, stop]\nrate_limits:\n  restart: { max: 1, window_seconds: 60 }\n',
    );
    const policy = loadPolicy({ file, allowedTargets: ['worker', 'label:team=trading'] });
    expect(policy.targets).toEqual({ names: ['web', 'worker'], labels: { team: 'trading' } });
    expect(policy.sources).toEqual({ 'ops-bot': { operations: ['restart', 'stop'] } });
    expect(policy.rate_limits.restart).toEqual({ max: 1, window_seconds: 60 });
    expect(policy.limits.max_log_lines).toBe(5000);
  });
  it.each([
    ['an unknown operation', 'sources:\n  a:\n    operations: [exec]\n', /sources\.a\.operations/],
    ['a bad target name', 'targets:\n  names: ["x;y"]\n', /targets\.names/],
    ['more than 5,000 log lines', 'limits:\n  max_log_lines: 9000\n', /max_log_lines/],
    ['an unknown key', 'admins: [me]\n', /admins|unrecognized/i],
  ])('refuses a file with %s, naming the variable and the field', (_what, text, field) => {
    const file = join(directory, `bad-${Math.random()}.yaml`);
    writeFileSync(file, text);
    expect(() => loadPolicy({ file })).toThrow(PolicyError);
    expect(() => loadPolicy({ file })).toThrow(/GATEWAY_POLICY_FILE/);
    expect(() => loadPolicy({ file })).toThrow(field);
  });
  it('the shipped example file is valid', () => {
    const policy = loadPolicy({ file: join(import.meta.dirname, '..', 'config', 'gateway-policy.example.yaml') });
    expect(policy.targets.labels).toEqual({ 'atb.gateway': 'allow' });
    expect(policy.sources['devops-agent']?.operations).not.toContain('stop');
    expect(policy.rate_limits.stop).toEqual({ max: 2, window_seconds: 600 });
  });

  it('refuses a bad GATEWAY_ALLOWED_TARGETS entry', () => {
    expect(() => loadPolicy({ allowedTargets: ['ok', 'not ok'] })).toThrow(/GATEWAY_ALLOWED_TARGETS/);
  });
});
