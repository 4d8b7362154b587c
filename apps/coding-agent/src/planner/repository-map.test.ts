import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { simpleGit } from 'simple-git';
import { describe, expect, it } from 'vitest';
import { parsePlan } from './plan.js';
import { buildRepositoryMap, extractSymbols, renderRepositoryMap } from './repository-map.js';

describe('extractSymbols', () => {
  it('finds TypeScript/JavaScript exports', () => {
    const source = [
      'export function add(a: number) {}',
      'export async function load() {}',
      'export default class Store {}',
      'export interface Options {}',
      'export type Id = string;',
      'export const LIMIT = 3;',
      'export { helper, other as renamed };',
      'function privateThing() {}',
      'module.exports.legacy = 1;',
    ].join('\n');
    expect(extractSymbols('src/a.ts', source)).toEqual([
      'function add',
      'function load',
      'class Store',
      'interface Options',
      'type Id',
      'const LIMIT',
      'helper',
      'renamed',
      'legacy',
    ]);
  });

  it('finds public Python definitions and constants', () => {
    const source = ['import os', 'MAX_SIZE = 3', 'def predict(x):', '    def inner(): pass', 'class Model:', 'def _private(): pass', 'async def fetch(): pass'].join('\n');
    expect(extractSymbols('app/main.py', source)).toEqual(['MAX_SIZE', 'def predict', 'class Model', 'def fetch']);
  });

  it('ignores other file types', () => {
    expect(extractSymbols('README.md', 'export function x() {}')).toEqual([]);
  });
});

describe('buildRepositoryMap', () => {
  it('lists tracked files with their symbols', async () => {
    const directory = await mkdtemp(join(tmpdir(), 'atb-map-'));
    try {
      await mkdir(join(directory, 'src'));
      await writeFile(join(directory, 'src', 'math.js'), 'export function add(a, b) { return a + b; }\n');
      await writeFile(join(directory, 'README.md'), '# x\n');
      await writeFile(join(directory, 'untracked.js'), 'export const hidden = 1;\n');
      const git = simpleGit(directory);
      await git.init();
      await git.add(['src/math.js', 'README.md']);
      const map = await buildRepositoryMap(directory);
      expect(map.files.map((file) => file.path)).toEqual(['README.md', 'src/math.js']);
      expect(renderRepositoryMap(map)).toBe('README.md\nsrc/math.js: function add');
    } finally {
      await rm(directory, { recursive: true, force: true });
    }
  });

  it('leaves out tracked symbolic links that lead outside the workspace (no host names or sizes)', async () => {
    const root = await mkdtemp(join(tmpdir(), 'atb-map-links-'));
    try {
      const directory = join(root, 'workspace');
      const host = join(root, 'host');
      await mkdir(join(directory, 'src'), { recursive: true });
      await mkdir(host);
      await writeFile(join(host, 'shadow.js'), `export const hostSecretSymbol = 1;\n${'x'.repeat(4321)}\n`);
      await writeFile(join(directory, 'src', 'math.js'), 'export function add(a, b) { return a + b; }\n');
      await symlink(join(host, 'shadow.js'), join(directory, 'src', 'leak.js'));
      await symlink(host, join(directory, 'host-dir'));
      await symlink('math.js', join(directory, 'src', 'alias.js'));
      const git = simpleGit(directory);
      await git.init();
      await git.add(['src/math.js', 'src/leak.js', 'host-dir', 'src/alias.js']);
      expect((await git.raw(['ls-files'])).split('\n')).toEqual(expect.arrayContaining(['src/leak.js', 'host-dir']));
      const map = await buildRepositoryMap(directory);
      expect(map.files.map((file) => file.path)).toEqual(['src/alias.js', 'src/math.js']);
      const text = renderRepositoryMap(map);
      expect(text).not.toMatch(/leak|host|shadow|4321|hostSecretSymbol/);
      expect(map.files.every((file) => file.bytes < 1000)).toBe(true);
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });
});

describe('parsePlan', () => {
  it('accepts the seed fields in a fenced answer', () => {
    const plan = parsePlan('Here:\n```json\n{"complexity": 2, "files_to_modify": ["src/a.js"], "new_files_needed": [], "dependencies": [], "risks": ["none"], "estimated_time_minutes": 5}\n```');
    expect(plan).toMatchObject({ ok: true, value: { complexity: 2, files_to_modify: ['src/a.js'] } });
  });

  it('names invalid fields', () => {
    const plan = parsePlan('{"complexity": 9, "estimated_time_minutes": "soon"}');
    expect(plan.ok).toBe(false);
    expect(!plan.ok && plan.error).toMatch(/complexity/);
    expect(!plan.ok && plan.error).toMatch(/estimated_time_minutes/);
    expect(parsePlan('no json here')).toMatchObject({ ok: false });
  });
});
