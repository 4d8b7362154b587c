import { mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { applyEditBlocks } from './apply-blocks.js';

const policy = { allowedFileTypes: ['.js', '.ts', '.md'] };

describe('applyEditBlocks', () => {
  let root: string;
  let workspace: string;
  let outside: string;
  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'atb-blocks-'));
    workspace = join(root, 'workspace');
    outside = join(root, 'outside');
    await mkdir(join(workspace, 'src'), { recursive: true });
    await mkdir(outside);
    await writeFile(join(workspace, 'src', 'a.js'), 'const a = 1;\n');
    await writeFile(join(outside, 'target.js'), 'untouched\n');
    await symlink(outside, join(workspace, 'link'));
  });
  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('applies, creates and reports block by block; the rest apply when one misses', async () => {
    const outcome = await applyEditBlocks(
      workspace,
      [
        { path: 'src/a.js', search: 'const a = 1;', replace: 'const a = 2;' },
        { path: 'src/a.js', search: 'const nothing = 0;', replace: 'x' },
        { path: 'src/b.js', search: '', replace: 'export const b = 1;' },
      ],
      policy,
      1,
    );
    expect(outcome.reports.map((report) => report.outcome)).toEqual(['applied-exact', 'missed', 'created']);
    expect(outcome.feedback[0]).toMatch(/closest lines in src\/a.js/);
    expect(await readFile(join(workspace, 'src', 'a.js'), 'utf8')).toBe('const a = 2;\n');
    expect(await readFile(join(workspace, 'src', 'b.js'), 'utf8')).toBe('export const b = 1;\n');
  });

  it('refuses whole-file rewrites of existing files', async () => {
    const outcome = await applyEditBlocks(workspace, [{ path: 'src/a.js', search: '', replace: 'rewritten' }], policy, 1);
    expect(outcome.reports[0]).toMatchObject({ outcome: 'refused' });
    expect(await readFile(join(workspace, 'src', 'a.js'), 'utf8')).toBe('const a = 1;\n');
  });

  it.each([
    ['../outside/target.js', 'outside-workspace'],
    [`${'/'}etc/passwd.js`, 'outside-workspace'],
    ['link/target.js', 'symlink-escape'],
    ['.github/workflows/ci.yml', 'protected'],
    ['.env', 'protected'],
    ['.atb/instructions.json', 'protected'],
    ['ATB.md', 'protected'],
    ['src/run.sh', 'file-type'],
  ])('refuses %s (%s) and writes nothing', async (path, rule) => {
    const outcome = await applyEditBlocks(workspace, [{ path, search: '', replace: 'pwned' }], policy, 1);
    expect(outcome.reports[0]?.outcome).toBe('refused');
    expect(outcome.reports[0]?.detail).toMatch(new RegExp(`^${rule}:`));
    expect(outcome.changed).toEqual([]);
    expect(await readFile(join(outside, 'target.js'), 'utf8')).toBe('untouched\n');
  });

  it('allows a protected path the task lists in allowed_paths (CI only with ALLOW_CI_PATHS), and nothing else', async () => {
    const closed = await applyEditBlocks(workspace, [{ path: '.github/workflows/ci.yml', search: '', replace: 'on: push' }], { allowedFileTypes: ['.yml'], allowedPaths: ['.github/workflows/ci.yml'] }, 1);
    expect(closed.reports.map((report) => report.outcome)).toEqual(['refused']);
    expect(closed.reports[0]?.detail).toMatch(/ALLOW_CI_PATHS=false/);
    const allowed = { allowedFileTypes: ['.js', '.yml'], allowedPaths: ['.github/workflows/ci.yml'], allowCiPaths: true };
    const outcome = await applyEditBlocks(
      workspace,
      [
        { path: '.github/workflows/ci.yml', search: '', replace: 'on: push' },
        { path: 'src/a.js', search: 'const a = 1;', replace: 'const a = 2;' },
      ],
      allowed,
      1,
    );
    expect(outcome.reports.map((report) => report.outcome)).toEqual(['created', 'refused']);
    expect(outcome.reports[1]?.detail).toMatch(/allowed_paths/);
  });
});
