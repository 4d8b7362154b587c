/**
 * Benchmark of workspace preparation: a fixture repository with history (300
 * commits over 60 files, 3 files changed per commit) on the local forge, prepared for a task
 *
 * - through the mirror cache, warm (the usual case: `git fetch` to refresh the mirror, then a
 *   local `--no-hardlinks` clone and a new branch),
 * - without it: a full clone over the git protocol each time (`file://` URL, so git packs and
 *   transfers every object as it would from a remote — without network latency, which makes
 *   this baseline optimistic),
 * - and the first, cold mirror (`git clone --mirror` once per repository),
 *
 * alternating warm and no-mirror, N rounds in one run.
 *
 *   npx tsx --conditions=@atb/source bench/coder/workspace.ts [--rounds 8] [--commits 300]
 */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { LocalForge } from '../../apps/coding-agent/src/forge/local-forge.js';
import { createGit, gitEnvironment } from '../../apps/coding-agent/src/workspace/git-client.js';
import { WorkspaceManager } from '../../apps/coding-agent/src/workspace/workspace-manager.js';

const { values: args } = parseArgs({ options: { rounds: { type: 'string', default: '8' }, commits: { type: 'string', default: '300' } } });
const rounds = Number(args.rounds);
const commits = Number(args.commits);

const median = (values: number[]): number => {
  const sorted = [...values].sort((left, right) => left - right);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
};
const format = (milliseconds: number): string => `${milliseconds.toFixed(0)} ms`;

const root = mkdtempSync(join(tmpdir(), 'atb-bench-workspace-'));
try {
  const source = join(root, 'source');
  mkdirSync(join(source, 'src'), { recursive: true });
  const git = createGit({ baseDir: source });
  await git.init(['--quiet', '--initial-branch=main']);
  const started = performance.now();
  // The history is written with `git fast-import` (one process) rather than 300 commits.
  const stream: string[] = [];
  for (let commit = 0; commit < commits; commit++) {
    const message = `change ${commit}`;
    stream.push('commit refs/heads/main', `committer Bench <bench@example.com> ${1_700_000_000 + commit * 60} +0000`);
    stream.push(`data ${Buffer.byteLength(message)}`, message);
    for (let file = commit % 20; file < 60; file += 20) {
      const lines = Array.from({ length: 120 }, (_, line) => `export const value${line} = ${commit * 1000 + line}; // file ${file}`);
      const content = `${lines.join('\n')}\n`;
      stream.push(`M 644 inline src/module-${file}.ts`, `data ${Buffer.byteLength(content)}`, content);
    }
    stream.push('');
  }
  await new Promise<void>((resolve, reject) => {
    const child = spawn('git', ['fast-import', '--quiet'], { cwd: source, env: gitEnvironment(), stdio: ['pipe', 'ignore', 'inherit'] });
    child.once('error', reject);
    child.once('close', (code) => (code === 0 ? resolve() : reject(new Error(`git fast-import exited ${code}`))));
    child.stdin.end(stream.join('\n'));
  });
  await git.raw(['reset', '--quiet', '--hard', 'main']);
  console.log(`fixture: ${commits} commits over 60 files, built in ${format(performance.now() - started)}`);

  const forge = new LocalForge({ directory: join(root, 'forge') });
  const bare = await forge.ensureRepository('acme/bench', source);
  const sourceUrl = `file://${bare}`;
  const manager = new WorkspaceManager({ basePath: join(root, 'workspaces'), forge });

  let task = 0;
  const prepare = async (skipMirror: boolean): Promise<number> => {
    const taskId = `task-${task++}`;
    const begin = performance.now();
    await manager.prepareWorkspace({ repository: 'acme/bench', taskId, sourceUrl, skipMirror });
    const elapsed = performance.now() - begin;
    await manager.removeWorkspace(taskId);
    return elapsed;
  };

  const cold = await prepare(false);
  const warm: number[] = [];
  const direct: number[] = [];
  for (let round = 0; round < rounds; round++) {
    if (round % 2 === 0) {
      warm.push(await prepare(false));
      direct.push(await prepare(true));
    } else {
      direct.push(await prepare(true));
      warm.push(await prepare(false));
    }
  }
  console.log(`workspace preparation, ${rounds} alternating rounds`);
  console.log(`  mirror cache, cold (first task)   ${format(cold)}`);
  console.log(`  mirror cache, warm                median ${format(median(warm))}  min ${format(Math.min(...warm))}`);
  console.log(`  no mirror (full clone, file://)   median ${format(median(direct))}  min ${format(Math.min(...direct))}`);
  console.log(`  warm / no mirror ${(median(warm) / median(direct)).toFixed(2)}`);
} finally {
  rmSync(root, { recursive: true, force: true });
}
