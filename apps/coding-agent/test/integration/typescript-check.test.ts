import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describeWithComponent } from '@atb/testing';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { BwrapSandbox } from '../../src/sandbox/bwrap-sandbox.js';
import { detectCommands } from '../../src/tester/command-detection.js';
import { runInSandbox } from '../../src/tester/run-in-sandbox.js';

const TYPESCRIPT = resolve(import.meta.dirname, '../../../../node_modules/typescript');

describeWithComponent('bubblewrap', await new BwrapSandbox().available(), 'install it: scripts/install-system-deps.sh', () => {
  let workspace: string;
  beforeAll(async () => {
    workspace = await mkdtemp(join(tmpdir(), 'atb-ts-check-'));
    await mkdir(join(workspace, 'src'));
    await writeFile(
      join(workspace, 'tsconfig.json'),
      JSON.stringify({ compilerOptions: { strict: true, noEmit: true, target: 'es2022', module: 'nodenext', types: [] }, include: ['src'] }),
    );
  });
  afterAll(async () => {
    if (workspace) await rm(workspace, { recursive: true, force: true });
  });

  it('type-checks a TypeScript repository without its own tsc, with a shared one mounted read-only', async () => {
    const commands = await detectCommands(workspace, { typescriptPath: TYPESCRIPT });
    expect(commands.sources.check).toBe('tsconfig.json (TYPESCRIPT_PATH)');
    expect(commands.readOnlyPaths).toEqual([TYPESCRIPT]);
    expect((await detectCommands(workspace)).check).toBeUndefined();
    const limits = { timeoutMs: 60_000, memoryBytes: 2 * 1024 ** 3, readOnlyPaths: commands.readOnlyPaths ?? [] };
    const sandbox = new BwrapSandbox();

    await writeFile(join(workspace, 'src', 'price.ts'), 'export function total(prices: number[]): number {\n  return prices.join(",");\n}\n');
    const broken = await runInSandbox(sandbox, workspace, commands.check as string[], limits);
    expect(broken.passed).toBe(false);
    expect(broken.output).toMatch(/src\/price\.ts.*TS2322/);

    await writeFile(join(workspace, 'src', 'price.ts'), 'export function total(prices: number[]): number {\n  return prices.reduce((sum, price) => sum + price, 0);\n}\n');
    const fixed = await runInSandbox(sandbox, workspace, commands.check as string[], limits);
    expect(fixed.output).toBe('');
    expect(fixed.passed).toBe(true);
  }, 120_000);
});
