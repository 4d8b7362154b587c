import { writeFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DiffSummary } from '../tasks/task.js';
import { createGit } from '../workspace/git-client.js';

/** `atb/<task-id>-<slug>`: the slug from the requirement's first words. */
export function branchName(taskId: string, requirement: string): string {
  const slug = requirement
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 40)
    .replace(/-+$/, '');
  return `atb/${taskId}${slug ? `-${slug}` : ''}`;
}

/** The patch of `paths` against `baseCommit` (new files included), and its summary. */
export async function diffPaths(workspace: string, baseCommit: string, paths: string[]): Promise<{ patch: string; summary: DiffSummary }> {
  const git = createGit({ baseDir: workspace });
  if (paths.length === 0) return { patch: '', summary: { files: [], additions: 0, deletions: 0 } };
  await git.raw(['add', '--all', '--', ...paths]);
  const patch = await git.raw(['diff', '--cached', '--binary', baseCommit, '--', ...paths]);
  const numstat = await git.raw(['diff', '--cached', '--numstat', baseCommit, '--', ...paths]);
  const files = numstat
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const [additions, deletions, ...path] = line.split('\t');
      return { path: path.join('\t'), additions: Number(additions) || 0, deletions: Number(deletions) || 0 };
    });
  return {
    patch,
    summary: {
      files,
      additions: files.reduce((sum, file) => sum + file.additions, 0),
      deletions: files.reduce((sum, file) => sum + file.deletions, 0),
    },
  };
}

/** Re-applies a stored patch (resume after a restart). */
export async function applyPatch(workspace: string, patch: string): Promise<void> {
  const file = join(tmpdir(), `atb-patch-${process.pid}-${Date.now()}.diff`);
  await writeFile(file, patch);
  try {
    await createGit({ baseDir: workspace }).raw(['apply', '--index', '--whitespace=nowarn', file]);
  } finally {
    await rm(file, { force: true });
  }
}

/** Commits `paths` on `branch` as the configured author; returns the commit id. */
export async function commitChanges(
  workspace: string,
  options: { branch: string; paths: string[]; message: string; authorName: string; authorEmail: string },
): Promise<string> {
  const git = createGit({ baseDir: workspace });
  await git.raw(['checkout', '-B', options.branch]);
  await git.raw(['add', '--all', '--', ...options.paths]);
  await git.raw([
    '-c', `user.name=${options.authorName}`,
    '-c', `user.email=${options.authorEmail}`,
    '-c', 'commit.gpgsign=false',
    'commit', '--no-verify', '-m', options.message,
  ]);
  return (await git.revparse(['HEAD'])).trim();
}

/**
 * Pushes `branch` (forced: it is the task's own branch, and a resumed task re-creates its commit)
 * and verifies with `git ls-remote` that the remote now points at `commit`.
 */
export async function pushBranch(
  workspace: string,
  options: { branch: string; commit: string; gitEnvironment?: Record<string, string> },
): Promise<void> {
  // The forge's credentials travel as GIT_CONFIG_* variables of this git process only (never in
  // the remote URL, never in .git/config); nothing of the agent's own environment is inherited,
  // and hooks stay off (the sandbox could write the work tree).
  const git = createGit({ baseDir: workspace, ...(options.gitEnvironment ? { auth: options.gitEnvironment } : {}) });
  await git.raw(['push', '--force', '--porcelain', 'origin', `${options.commit}:refs/heads/${options.branch}`]);
  const remote = await git.raw(['ls-remote', 'origin', `refs/heads/${options.branch}`]);
  const pushed = remote.split(/\s+/)[0];
  if (pushed !== options.commit) {
    throw new Error(`push not confirmed: the remote has ${pushed || 'no branch'} for ${options.branch}, expected ${options.commit}`);
  }
}
