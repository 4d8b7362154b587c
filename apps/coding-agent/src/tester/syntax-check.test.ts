import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { syntaxCheckCommand } from './syntax-check.js';
import { UnsandboxedRunner } from './unsandboxed-runner.js';

describe('syntaxCheckCommand', () => {
  let workspace: string;
  const runner = new UnsandboxedRunner();
  const check = (files: string[]) =>
    runner.run({ workspace, command: syntaxCheckCommand(files) as string[], env: { PATH: '/usr/bin:/bin' }, timeoutMs: 20_000, memoryBytes: 1e9 });

  beforeAll(async () => {
    workspace = await mkdtemp(join(tmpdir(), 'atb-syntax-'));
    await writeFile(join(workspace, 'good.js'), 'export const a = 1;\n');
    await writeFile(join(workspace, 'bad.js'), 'const a = ;\n');
    await writeFile(join(workspace, 'good.py'), 'def f():\n    return 1\n');
    await writeFile(join(workspace, 'bad.py'), 'def f(:\n');
    await writeFile(join(workspace, 'bad.json'), '{ "a": }');
  });
  afterAll(async () => {
    await rm(workspace, { recursive: true, force: true });
  });

  it('checks only files it knows how to check', () => {
    expect(syntaxCheckCommand(['README.md', 'a.css'])).toBeUndefined();
    expect(syntaxCheckCommand(['b.py', 'a.js', 'c.md'])?.slice(-2)).toEqual(['a.js', 'b.py']);
  });

  it('passes valid files and fails each kind of broken one, naming it', async () => {
    expect((await check(['good.js', 'good.py'])).exitCode).toBe(0);
    for (const file of ['bad.js', 'bad.py', 'bad.json']) {
      const result = await check(['good.js', file]);
      expect(result.exitCode, file).toBe(1);
      expect(result.stderr, file).toContain(file);
    }
  });
});
