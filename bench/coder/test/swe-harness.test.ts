import { execFileSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ScriptedOpenAIServer } from '@atb/testing';
import { describeWithComponent } from '@atb/testing';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { BwrapSandbox } from '../../../apps/coding-agent/src/sandbox/bwrap-sandbox.js';
import { loadInstances, materializeRepository, runHarness, type SweInstance, scriptedModel, startScriptedModel } from '../swe/harness.js';

describeWithComponent('bubblewrap', await new BwrapSandbox().available(), 'install it: scripts/install-system-deps.sh', () => {
  let instances: SweInstance[];
  let server: ScriptedOpenAIServer;
  let scratch: string;
  beforeAll(async () => {
    const all = await loadInstances();
    // One instance from a `git bundle` (the other repository format), built here from a fixture.
    scratch = await mkdtemp(join(tmpdir(), 'atb-swe-bundle-'));
    const range = all.find((instance) => instance.repo === 'range') as SweInstance;
    await materializeRepository(range.repo, join(scratch, 'repository'));
    execFileSync('git', ['bundle', 'create', '--quiet', join(scratch, 'range.bundle'), '--all'], { cwd: join(scratch, 'repository') });
    expect(all.length).toBeGreaterThanOrEqual(10);
    const clamp = all.find((instance) => instance.repo === 'clamp') as SweInstance;
    instances = [
      all.find((instance) => instance.repo === 'add') as SweInstance,
      all.find((instance) => instance.repo === 'py-roman') as SweInstance,
      // A wrong "fix" (still returns min): the harness must report it unresolved.
      {
        ...clamp,
        instance_id: 'fixture__clamp-wrong',
        gold_edit: clamp.gold_edit.replace('  if (value > max) return max;', '  if (value >= max) return min;'),
      },
      { ...range, instance_id: 'fixture__range-bundle', repo: 'nonexistent', bundle: join(scratch, 'range.bundle') },
      // A base commit that does not match the fixture: reported invalid, not run.
      { ...clamp, instance_id: 'fixture__clamp-bad-base', problem_statement: 'never asked', base_commit: '0'.repeat(40) },
    ];
    server = await startScriptedModel(instances);
  });
  afterAll(async () => {
    await server?.close();
    if (scratch) await rm(scratch, { recursive: true, force: true });
  });

  it('runs instances end to end with the scripted model and grades them like SWE-bench', async () => {
    const { results, invalid } = await runHarness({
      instances,
      model: scriptedModel(server),
      environment: { TESTING_TIMEOUT: '30', TASK_MAX_ITERATIONS: '2' },
    });
    expect(invalid).toEqual({ 'fixture__clamp-bad-base': expect.stringMatching(/base_commit mismatch/) });
    expect(results.map((result) => [result.instance_id, result.resolved])).toEqual([
      ['fixture__add-1', true],
      ['fixture__py-roman-1', true],
      ['fixture__clamp-wrong', false],
      ['fixture__range-bundle', true],
    ]);
    expect(results[0]).toMatchObject({ status: 'completed', fail_to_pass: { passed: 1, total: 1 }, pass_to_pass: { passed: 1, total: 1 } });
    expect(results[0]?.tokens).toBeGreaterThan(0);
    expect(results[2]).toMatchObject({ status: 'failed', fail_to_pass: { passed: 0, total: 1 } });
  }, 180_000);
});
