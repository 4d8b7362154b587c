import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { detectCommands, toCommand } from './command-detection.js';
import { normalizeTestOutput, parseTestOutcomes } from './test-output.js';

describe('detectCommands', () => {
  let directory: string;
  beforeEach(async () => {
    directory = await mkdtemp(join(tmpdir(), 'atb-detect-'));
  });
  afterEach(async () => {
    await rm(directory, { recursive: true, force: true });
  });

  it('prefers .atb/instructions.json', async () => {
    await mkdir(join(directory, '.atb'));
    await writeFile(join(directory, '.atb', 'instructions.json'), JSON.stringify({ test: 'node --test test/', check: ['node', '--check', 'src/a.js'], notes: 'be nice' }));
    await writeFile(join(directory, 'package.json'), JSON.stringify({ scripts: { test: 'vitest' } }));
    const commands = await detectCommands(directory);
    expect(commands.test).toEqual(['node', '--test', 'test/']);
    expect(commands.check).toEqual(['node', '--check', 'src/a.js']);
    expect(commands.notes).toBe('be nice');
    expect(commands.sources.test).toBe('.atb/instructions.json');
  });

  it('reads ATB.md command lines', async () => {
    await writeFile(join(directory, 'ATB.md'), '# How to work here\n- test: `python3 -m pytest -q tests`\n- **check**: `python3 -m compileall -q src`\n');
    const commands = await detectCommands(directory);
    expect(commands.test).toEqual(['python3', '-m', 'pytest', '-q', 'tests']);
    expect(commands.check).toEqual(['python3', '-m', 'compileall', '-q', 'src']);
  });

  it('never reads instructions or package.json through a link leading outside the repository', async () => {
    const host = await mkdtemp(join(tmpdir(), 'atb-detect-host-'));
    try {
      await writeFile(join(host, 'notes.md'), '- test: `cat /etc/shadow`\nhost-only text\n');
      await writeFile(join(host, 'package.json'), JSON.stringify({ scripts: { test: 'node host.js' } }));
      await symlink(join(host, 'notes.md'), join(directory, 'ATB.md'));
      await symlink(join(host, 'package.json'), join(directory, 'package.json'));
      const commands = await detectCommands(directory);
      expect(commands.test).toBeUndefined();
      expect(commands.notes).toBeUndefined();
      expect(JSON.stringify(commands)).not.toMatch(/shadow|host/);
    } finally {
      await rm(host, { recursive: true, force: true });
    }
  });

  it('reads package.json scripts and dependencies', async () => {
    await writeFile(
      join(directory, 'package.json'),
      JSON.stringify({ scripts: { test: 'node --test', typecheck: 'tsc --noEmit' }, devDependencies: { typescript: '^5' } }),
    );
    await writeFile(join(directory, 'package-lock.json'), '{}');
    const commands = await detectCommands(directory);
    expect(commands.test).toEqual(['sh', '-c', 'node --test']);
    expect(commands.check).toEqual(['npm', 'run', '--silent', 'typecheck']);
    expect(commands.install?.slice(0, 3)).toEqual(['npm', 'ci', '--offline']);
  });

  it('ignores npm init placeholder test script and falls back to pytest for Python projects', async () => {
    await writeFile(join(directory, 'package.json'), JSON.stringify({ scripts: { test: 'echo "Error: no test specified" && exit 1' } }));
    await writeFile(join(directory, 'pyproject.toml'), '[project]\nname = "x"\n');
    const commands = await detectCommands(directory);
    expect(commands.test).toEqual(['python3', '-m', 'pytest', '-q']);
    expect(commands.install).toBeUndefined();
  });

  it('turns strings with shell syntax into an explicit sh -c', () => {
    expect(toCommand('npm test && echo ok')).toEqual(['sh', '-c', 'npm test && echo ok']);
    expect(toCommand('node --test')).toEqual(['node', '--test']);
  });
});

describe('test output', () => {
  it('reads TAP outcomes', () => {
    const tap = ['TAP version 13', '# Subtest: adds', 'ok 1 - adds', 'not ok 2 - subtracts', '  ---', 'ok 3 - skipped one # SKIP', '1..3'].join('\n');
    expect(parseTestOutcomes(tap)).toEqual([
      { name: 'adds', passed: true },
      { name: 'subtracts', passed: false },
      { name: 'skipped one', passed: true },
    ]);
  });

  it('reads pytest outcomes', () => {
    expect(parseTestOutcomes('FAILED tests/test_a.py::test_x - AssertionError\ntests/test_a.py::test_y PASSED')).toEqual([
      { name: 'tests/test_a.py::test_x', passed: false },
      { name: 'tests/test_a.py::test_y', passed: true },
    ]);
  });

  it('reads python -m unittest -v outcomes', () => {
    const output = ['test_add (test_calc.CalcTest.test_add) ... ok', 'test_div (test_calc.CalcTest.test_div) ... FAIL', 'test_old (test_calc.Old) ... skipped "x"'].join('\n');
    expect(parseTestOutcomes(output)).toEqual([
      { name: 'test_calc.CalcTest.test_add', passed: true },
      { name: 'test_calc.CalcTest.test_div', passed: false },
      { name: 'test_calc.Old.test_old', passed: true },
    ]);
  });

  it('normalises durations so the same failure compares equal', () => {
    expect(normalizeTestOutput('not ok 1 - x\n  duration_ms: 12.3\n# 5ms')).toBe(normalizeTestOutput('not ok 1 - x\n  duration_ms: 99.1\n# 7ms'));
  });
});
