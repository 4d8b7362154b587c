import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { simpleGit } from 'simple-git';

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
  remove(path: string): Promise<void>;
}

const TASK_ID = /^[A-Za-z0-9_-]{1,64}$/;

/**
 * The plain provider: a fresh `git clone` of the forge's remote into
 * `<WORKSPACE_BASE_PATH>/<task-id>`. (The mirror-cached preparation in `src/workspace/` can be
 * plugged in through {@link WorkspaceProvider}.)
 */
export class CloneWorkspaceProvider implements WorkspaceProvider {
  constructor(private readonly basePath: string) {}

  async prepare(input: PrepareInput): Promise<PreparedWorkspace> {
    if (!TASK_ID.test(input.taskId)) throw new Error(`invalid task id "${input.taskId}"`);
    const path = join(this.basePath, input.taskId);
    await rm(path, { recursive: true, force: true });
    await mkdir(this.basePath, { recursive: true });
    await simpleGit().clone(input.remoteUrl, path, ['--no-hardlinks', ...(input.baseBranch ? ['--branch', input.baseBranch] : [])]);
    const git = simpleGit(path);
    if (input.baseCommit) await git.raw(['checkout', '--detach', input.baseCommit]);
    const baseBranch = input.baseBranch ?? (await git.revparse(['--abbrev-ref', 'origin/HEAD']).catch(() => 'origin/main')).replace(/^origin\//, '');
    const baseCommit = (await git.revparse(['HEAD'])).trim();
    return { path, baseBranch, baseCommit };
  }

  async remove(path: string): Promise<void> {
    await rm(path, { recursive: true, force: true });
  }
}
