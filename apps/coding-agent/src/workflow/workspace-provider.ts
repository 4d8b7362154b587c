import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { simpleGit } from 'simple-git';
import { createGit } from '../workspace/git-client.js';
import type { WorkspaceManager } from '../workspace/workspace-manager.js';

export interface PreparedWorkspace {
  path: string;
  baseBranch: string;
  baseCommit: string;
}

export interface PrepareInput {
  taskId: string;
  repository: string;
  remoteUrl: string;
  baseBranch?: string;
  /** On resume: check out exactly this commit. */
  baseCommit?: string;
}

/** Where a task's working copy comes from. */
export interface WorkspaceProvider {
  prepare(input: PrepareInput): Promise<PreparedWorkspace>;
  /** Removes the task's workspace (also one a failed `prepare` left half-made); a missing one is fine. */
  remove(taskId: string): Promise<void>;
}

const TASK_ID = /^[A-Za-z0-9_-]{1,64}$/;

/**
 * The plain provider: a fresh `git clone` of the forge's remote into
 * `<WORKSPACE_BASE_PATH>/<task-id>`, no mirror cache (a baseline for benchmarks; the service
 * uses {@link MirroredWorkspaceProvider}).
 */
export class CloneWorkspaceProvider implements WorkspaceProvider {
  constructor(private readonly basePath: string) {}

  private pathOf(taskId: string): string {
    if (!TASK_ID.test(taskId)) throw new Error(`invalid task id "${taskId}"`);
    return join(this.basePath, taskId);
  }

  async prepare(input: PrepareInput): Promise<PreparedWorkspace> {
    const path = this.pathOf(input.taskId);
    await rm(path, { recursive: true, force: true });
    await mkdir(this.basePath, { recursive: true });
    await simpleGit().clone(input.remoteUrl, path, ['--no-hardlinks', ...(input.baseBranch ? ['--branch', input.baseBranch] : [])]);
    const git = simpleGit(path);
    if (input.baseCommit) await git.raw(['checkout', '--detach', input.baseCommit]);
    const baseBranch = input.baseBranch ?? (await git.revparse(['--abbrev-ref', 'origin/HEAD']).catch(() => 'origin/main')).replace(/^origin\//, '');
    const baseCommit = (await git.revparse(['HEAD'])).trim();
    return { path, baseBranch, baseCommit };
  }

  async remove(taskId: string): Promise<void> {
    await rm(this.pathOf(taskId), { recursive: true, force: true });
  }
}

/**
 * The default provider: an adapter over the workspace manager of `src/workspace/` (mirror cache,
 * `origin` at the forge, allowlist, size limit). A task's workspace always starts clean at its
 * base commit, also when the manager reuses the directory of an interrupted run: the workflow
 * replays what it saved (plan, patch) rather than trusting half-done edits on disk.
 */
export class MirroredWorkspaceProvider implements WorkspaceProvider {
  constructor(private readonly manager: WorkspaceManager) {}

  async prepare(input: PrepareInput): Promise<PreparedWorkspace> {
    const prepared = await this.manager.prepareWorkspace({
      repository: input.repository,
      taskId: input.taskId,
      ...(input.baseBranch ? { baseBranch: input.baseBranch } : {}),
    });
    const target = input.baseCommit ?? prepared.baseCommit;
    if (prepared.resumed || target !== prepared.baseCommit) {
      const git = createGit({ baseDir: prepared.path });
      await git.raw(['reset', '--hard', '--quiet', target]);
      await git.raw(['clean', '-fdxq']);
    }
    return { path: prepared.path, baseBranch: prepared.baseBranch, baseCommit: target };
  }

  remove(taskId: string): Promise<void> {
    return this.manager.removeWorkspace(taskId);
  }
}
