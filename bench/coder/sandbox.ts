/**
 * Benchmark of the coding agent's sandboxes:
 *
 * 1. A real test run — `node --test` over a small fixture (6 files, 60 tests) — in the
 *    bubblewrap sandbox against the same run bare (plain spawn, same clean environment),
 *    alternating, N rounds in one run. Goal: median(sandboxed) / median(bare) ≤ 1.2.
 * 2. Start-up of each sandbox for a trivial command (`true`): bare spawn, bubblewrap, and the
 *    container sandbox on Podman's Docker Engine API (create → attach → start → wait → remove).
 *
 *   npx tsx --conditions=@atb/source bench/coder/sandbox.ts [--rounds 10] [--container-rounds 5]
 */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { ensureNodeBaseImage, probePodman, startPodman } from '@atb/testing';
import { BwrapSandbox } from '../../apps/coding-agent/src/sandbox/bwrap-sandbox.js';
import { ContainerSandbox } from '../../apps/coding-agent/src/sandbox/container-sandbox.js';
import type { Sandbox } from '../../apps/coding-agent/src/sandbox/sandbox.js';

const GOAL_RATIO = 1.2;
const { values: args } = parseArgs({
  options: { rounds: { type: 'string', default: '10' }, 'container-rounds': { type: 'string', default: '5' } },
});
const rounds = Number(args.rounds);
const containerRounds = Number(args['container-rounds']);

const median = (values: number[]): number => {
  const sorted = [...values].sort((left, right) => left - right);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
};
const format = (milliseconds: number): string => `${milliseconds.toFixed(1)} ms`;

function fixture(): string {
  const directory = mkdtempSync(join(tmpdir(), 'atb-bench-sandbox-'));
  mkdirSync(join(directory, 'test'));
  writeFileSync(join(directory, 'package.json'), '{ "name": "fixture", "type": "module" }\n');
  writeFileSync(
    join(directory, 'prices.js'),
    'export const round = (value, places) => Math.round(value * 10 ** places) / 10 ** places;\n' +
      'export const mean = (values) => values.reduce((sum, value) => sum + value, 0) / values.length;\n',
  );
  for (let file = 0; file < 6; file++) {
    const tests = Array.from(
      { length: 10 },
      (_, index) =>
        `test('case ${index}', () => { const values = Array.from({ length: 2000 }, (_, i) => i * ${index + 1}); ` +
        `assert.equal(round(mean(values), 2), round((1999 * ${index + 1}) / 2, 2)); });`,
    );
    writeFileSync(
      join(directory, 'test', `prices-${file}.test.js`),
      `import { test } from 'node:test';\nimport assert from 'node:assert/strict';\nimport { round, mean } from '../prices.js';\n${tests.join('\n')}\n`,
    );
  }
  return directory;
}

const cleanEnvironment = { PATH: '/usr/local/bin:/usr/bin:/bin', HOME: '/tmp', TMPDIR: '/tmp', LANG: 'C.UTF-8', CI: 'true' };

function bare(command: string[], cwd: string): Promise<{ exitCode: number | null; durationMs: number }> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(command[0]!, command.slice(1), { cwd, env: cleanEnvironment, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.resume();
    child.stderr.resume();
    child.once('error', reject);
    child.once('close', (code) => resolve({ exitCode: code, durationMs: performance.now() - started }));
  });
}

async function sandboxed(sandbox: Sandbox, command: string[], workspace: string) {
  const result = await sandbox.run({ workspace, command, timeoutMs: 120_000, memoryBytes: 2 * 1024 ** 3 });
  if (result.exitCode !== 0) throw new Error(`${sandbox.kind}: ${command.join(' ')} exited ${result.exitCode}: ${result.stderr.slice(0, 500)}`);
  return result;
}

const workspace = fixture();
const testCommand = ['node', '--test', '--test-reporter=dot'];
try {
  const bwrap = new BwrapSandbox();
  const unavailable = await bwrap.available();
  if (unavailable) throw new Error(`bubblewrap unavailable: ${unavailable}`);

  // Warm-up: page cache, node's compile cache.
  await bare(testCommand, workspace);
  await sandboxed(bwrap, testCommand, workspace);

  const bareTimes: number[] = [];
  const bwrapTimes: number[] = [];
  for (let round = 0; round < rounds; round++) {
    const first = round % 2 === 0;
    if (first) bareTimes.push((await bare(testCommand, workspace)).durationMs);
    bwrapTimes.push((await sandboxed(bwrap, testCommand, workspace)).durationMs);
    if (!first) bareTimes.push((await bare(testCommand, workspace)).durationMs);
  }
  const ratio = median(bwrapTimes) / median(bareTimes);
  console.log(`node --test (6 files, 60 tests), ${rounds} alternating rounds`);
  console.log(`  bare          median ${format(median(bareTimes))}  min ${format(Math.min(...bareTimes))}`);
  console.log(`  bubblewrap    median ${format(median(bwrapTimes))}  min ${format(Math.min(...bwrapTimes))}`);
  console.log(`  ratio ${ratio.toFixed(3)} (goal ≤ ${GOAL_RATIO}: ${ratio <= GOAL_RATIO ? 'met' : 'NOT met'})`);

  const trivialBare: number[] = [];
  const trivialBwrap: number[] = [];
  for (let round = 0; round < rounds; round++) {
    trivialBare.push((await bare(['true'], workspace)).durationMs);
    trivialBwrap.push((await sandboxed(bwrap, ['true'], workspace)).durationMs);
  }
  console.log(`start-up of \`true\`, ${rounds} rounds`);
  console.log(`  bare spawn    median ${format(median(trivialBare))}`);
  console.log(`  bubblewrap    median ${format(median(trivialBwrap))}`);

  const podman = await probePodman();
  if (podman) {
    console.log(`  container     skipped: ${podman}`);
  } else {
    const engine = await startPodman();
    try {
      const image = await ensureNodeBaseImage(engine);
      const container = new ContainerSandbox({ docker: engine.docker, image, mountHostUsr: true });
      await sandboxed(container, ['true'], workspace);
      const trivialContainer: number[] = [];
      for (let round = 0; round < containerRounds; round++) trivialContainer.push((await sandboxed(container, ['true'], workspace)).durationMs);
      console.log(`  container     median ${format(median(trivialContainer))}  min ${format(Math.min(...trivialContainer))} (${containerRounds} rounds, Podman via the Docker Engine API)`);
      const testContainer = (await sandboxed(container, testCommand, workspace)).durationMs;
      console.log(`node --test in the container sandbox (one run): ${format(testContainer)} (${(testContainer / median(bareTimes)).toFixed(2)}× bare)`);
    } finally {
      await engine.close();
    }
  }
} finally {
  rmSync(workspace, { recursive: true, force: true });
}
