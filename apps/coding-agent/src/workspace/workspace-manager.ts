import { existsSync } from 'node:fs';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { InputError, PayloadTooLargeError } from '@atb/service-kit';
import type { Forge } from '../forge/forge.js';
import { repositoryKey } from '../forge/repository-key.js';
import { createGit } from './git-client.js';
import { isInside } from './path-inside.js';
import { assertRepositoryAllowed } from './repository-allowlist.js';
import { measureDirectorySize } from './workspace-size.js';

export interface WorkspaceManagerOptions {
  /** `WORKSPACE_BASE_PATH`: one directory per task lives here. */
  basePath: string;
  /** Mirror cache (`git clone --mirror`, one per repository); default `<basePath>/.mirrors`. */
  mirrorPath?: string;
  /** Where the workspace's `origin` points and where the source is fetched from. */
  forge: Forge;
  /** `ALLOWED_REPOSITORIES`; `undefined` skips the check (the caller has done it). */
  allowedRepositories?: readonly string[];
  /** `MAX_WORKSPACE_SIZE` in bytes; checked after the clone. Default: no limit. */
  maxWorkspaceBytes?: number;
  /** Timeout of each git command; default 5 minutes. */
  gitTimeoutMs?: number;
}

export interface PrepareWorkspaceInput {
  /** `owner/name`, or an absolute path to a local repository (local forge). */
  repository: string;
  /** Branch to start from; default the remote's default branch (its HEAD; through the mirror, as when the mirror was made). */
  baseBranch?: string;
  taskId: string;
  /** Branch to create; default `atb/<taskId>`. */
  branch?: string;
  /** Fetch from here instead of the forge's remote (e.g. a repository bundle). */
  sourceUrl?: string;
  /** Clone straight from the source instead of through the mirror cache (benchmarks). Default false. */
  skipMirror?: boolean;
}

export interface PreparedWorkspace {
  /** Absolute path of the workspace: `<basePath>/<taskId>`. */
  path: string;
  repository: string;
  branch: string;
  baseBranch: string;
  /** Commit the branch starts from. */
  baseCommit: string;
  /** `origin` of the workspace (the forge's remote URL, no credentials). */
  remoteUrl: string;
  /** True when an existing workspace for this task on this branch was reused (a resumed task). */
  resumed: boolean;
}

const TASK_ID = /^[A-Za-z0-9][A-Za-z0-9_-]{0,99}$/;
/** Kept in the workspace's `.git` (which the sandbox sees read-only): what the workspace was made from. */
const RECORD_FILE = 'atb-workspace.json';

interface WorkspaceRecord {
  branch: string;
  baseBranch: string;
  baseCommit: string;
}

/** The branch a mirror's HEAD names (`ref: refs/heads/main`), read from the file. */
async function mirrorHead(mirror: string): Promise<string | undefined> {
  try {
    return /^ref: refs\/heads\/(\S+)$/m.exec(await readFile(join(mirror, 'HEAD'), 'utf8'))?.[1];
  } catch {
    return undefined;
  }
}

/** The commit of a freshly cloned local branch, from its loose ref file (git writes it loose on clone). */
async function readLooseReference(repository: string, branch: string): Promise<string | undefined> {
  try {
    const sha = (await readFile(join(repository, '.git', 'refs', 'heads', ...branch.split('/')), 'utf8')).trim();
    return /^[0-9a-f]{40,64}$/.test(sha) ? sha : undefined;
  } catch {
    return undefined;
  }
}
const BRANCH = /^(?!-)(?!.*\.\.)(?!.*\/\/)(?!.*@\{)[A-Za-z0-9._/-]{1,200}(?<![./])$/;

/** Forges that can create their remote on first use (the local forge). */
interface EnsuringForge extends Forge {
  ensureRepository(repository: string, seedFrom?: string): Promise<string>;
}

function canEnsure(forge: Forge): forge is EnsuringForge {
  return typeof (forge as Partial<EnsuringForge>).ensureRepository === 'function';
}

/**
 * Prepares one git workspace per task under `WORKSPACE_BASE_PATH`: clones from a local mirror
 * cache (`git clone --mirror` once per repository, `git fetch --prune` to refresh, then a local
 * `--no-hardlinks` clone so nothing the sandbox writes can reach the cache), points `origin` at
 * the forge and checks out a new branch — four git processes on the warm path. What the
 * workspace was made from is kept in `.git/atb-workspace.json` (read on resume). Also measures (`MAX_WORKSPACE_SIZE`) and removes
 * (`CLEANUP_WORKSPACES`) workspaces.
 *
 * @example
 * const workspaces = new WorkspaceManager({ basePath: config.WORKSPACE_BASE_PATH, forge, allowedRepositories });
 * const workspace = await workspaces.prepareWorkspace({ repository: 'acme/shop', taskId, branch: `atb/${taskId}-fix-rounding` });
 */
export class WorkspaceManager {
  readonly basePath: string;
  readonly mirrorPath: string;
  private readonly mirrorLocks = new Map<string, Promise<unknown>>();

  constructor(private readonly options: WorkspaceManagerOptions) {
    this.basePath = resolve(options.basePath);
    this.mirrorPath = resolve(options.mirrorPath ?? join(this.basePath, '.mirrors'));
  }

  /** `<basePath>/<taskId>`, after checking the task id is a safe directory name. */
  workspacePath(taskId: string): string {
    if (!TASK_ID.test(taskId)) throw new InputError(`taskId must be letters, digits, _ or - (at most 100), got ${taskId}`, { field: 'taskId' });
    return join(this.basePath, taskId);
  }

  private git(baseDir?: string, repository?: string) {
    return createGit({
      ...(baseDir ? { baseDir } : {}),
      ...(repository && this.options.forge.gitAuth ? { auth: this.options.forge.gitAuth(repository) } : {}),
      ...(this.options.gitTimeoutMs ? { timeoutMs: this.options.gitTimeoutMs } : {}),
    });
  }

  /** Runs `work` after every earlier job on the same mirror (git's own lock files forbid concurrent fetches). */
  private withMirrorLock<T>(key: string, work: () => Promise<T>): Promise<T> {
    const previous = this.mirrorLocks.get(key) ?? Promise.resolve();
    const next = previous.then(work, work);
    this.mirrorLocks.set(
      key,
      next.catch(() => undefined),
    );
    return next;
  }

  /** Creates or refreshes the mirror of `repository` from `source`; answers its path. */
  async refreshMirror(repository: string, source: string): Promise<string> {
    const key = repositoryKey(repository);
    const mirror = join(this.mirrorPath, `${key}.git`);
    return this.withMirrorLock(key, async () => {
      if (existsSync(join(mirror, 'HEAD'))) {
        // One process: fetch from the source named here (it may have moved) into the mirror's refs.
        await this.git(mirror, repository).raw(['fetch', '--prune', '--quiet', '--', source, '+refs/*:refs/*']);
        return mirror;
      }
      await mkdir(join(mirror, '..'), { recursive: true });
      const partial = `${mirror}.partial-${process.pid}-${Date.now()}`;
      try {
        await this.git(undefined, repository).raw(['clone', '--mirror', '--quiet', '--', source, partial]);
        await rename(partial, mirror);
      } finally {
        await rm(partial, { recursive: true, force: true });
      }
      return mirror;
    });
  }

  /**
   * Clones `repository` into `<basePath>/<taskId>` on a new branch from `baseBranch`. Refuses a
   * repository not in `allowedRepositories` (403). An existing workspace of the same task on the
   * same branch is reused (`resumed: true`); anything else at that path is replaced.
   */
  async prepareWorkspace(input: PrepareWorkspaceInput): Promise<PreparedWorkspace> {
    if (this.options.allowedRepositories) assertRepositoryAllowed(input.repository, this.options.allowedRepositories);
    const path = this.workspacePath(input.taskId);
    const branch = input.branch ?? `atb/${input.taskId}`;
    if (!BRANCH.test(branch)) throw new InputError(`branch is not a valid branch name: ${branch}`, { field: 'branch' });
    if (input.baseBranch !== undefined && !BRANCH.test(input.baseBranch)) {
      throw new InputError(`base_branch is not a valid branch name: ${input.baseBranch}`, { field: 'base_branch' });
    }
    const forge = this.options.forge;
    if (canEnsure(forge) && !input.sourceUrl) await forge.ensureRepository(input.repository);
    const remoteUrl = forge.remoteUrl(input.repository);

    const resumed = await this.reusable(path, branch);
    if (resumed) return { ...resumed, repository: input.repository, remoteUrl };

    await rm(path, { recursive: true, force: true });
    await mkdir(this.basePath, { recursive: true });
    const source = input.sourceUrl ?? remoteUrl;
    const cloneFrom = input.skipMirror ? source : await this.refreshMirror(input.repository, source);
    const baseBranch =
      input.baseBranch ?? (input.skipMirror ? undefined : await mirrorHead(cloneFrom)) ?? (await this.defaultBranch(cloneFrom, input.repository));
    const cloneArguments = ['clone', '--quiet', '--no-hardlinks', '--branch', baseBranch, '--', cloneFrom, path];
    try {
      await this.git(undefined, input.repository).raw(cloneArguments);
    } catch (error) {
      await rm(path, { recursive: true, force: true });
      throw new InputError(`cannot check out ${baseBranch} of ${input.repository}: ${(error as Error).message.trim()}`, { field: 'base_branch', cause: error });
    }
    const git = this.git(path, input.repository);
    const baseCommit = (await readLooseReference(path, baseBranch)) ?? (await git.raw(['rev-parse', 'HEAD'])).trim();
    await git.raw(['remote', 'set-url', 'origin', remoteUrl]);
    await git.raw(['checkout', '--quiet', '-b', branch]);
    const record: WorkspaceRecord = { branch, baseBranch, baseCommit };
    await writeFile(join(path, '.git', RECORD_FILE), `${JSON.stringify(record)}\n`);
    if (this.options.maxWorkspaceBytes !== undefined) await this.assertWithinSize(input.taskId, this.options.maxWorkspaceBytes);
    return { path, repository: input.repository, branch, baseBranch, baseCommit, remoteUrl, resumed: false };
  }

  /** The workspace of an interrupted run of this task, when it is on the same branch (read from files: no git process). */
  private async reusable(path: string, branch: string): Promise<Omit<PreparedWorkspace, 'repository' | 'remoteUrl'> | undefined> {
    try {
      const head = (await readFile(join(path, '.git', 'HEAD'), 'utf8')).trim();
      const record = JSON.parse(await readFile(join(path, '.git', RECORD_FILE), 'utf8')) as Partial<WorkspaceRecord>;
      if (head !== `ref: refs/heads/${branch}` || record.branch !== branch || !record.baseBranch || !record.baseCommit) return undefined;
      return { path, branch, baseBranch: record.baseBranch, baseCommit: record.baseCommit, resumed: true };
    } catch {
      return undefined;
    }
  }

  private async defaultBranch(source: string, repository: string): Promise<string> {
    const head = await this.git(undefined, repository).raw(['ls-remote', '--symref', '--', source, 'HEAD']);
    const match = /^ref: refs\/heads\/(\S+)\s+HEAD/m.exec(head);
    if (!match) throw new InputError(`cannot tell the default branch of ${repository}; give base_branch`, { field: 'base_branch' });
    return match[1]!;
  }

  /** Bytes used by the task's workspace (its `.git` included). */
  measureWorkspace(taskId: string): Promise<number> {
    return measureDirectorySize(this.workspacePath(taskId));
  }

  /** Throws `PayloadTooLargeError` (413, `MAX_WORKSPACE_SIZE`) when the workspace is bigger than `maxBytes`. */
  async assertWithinSize(taskId: string, maxBytes: number): Promise<void> {
    const size = await measureDirectorySize(this.workspacePath(taskId), maxBytes);
    if (size > maxBytes) {
      throw new PayloadTooLargeError(`workspace of task ${taskId} uses more than MAX_WORKSPACE_SIZE (${maxBytes} bytes)`, {
        field: 'MAX_WORKSPACE_SIZE',
      });
    }
  }

  /** Removes the task's workspace (`CLEANUP_WORKSPACES`); a missing one is fine. */
  async removeWorkspace(taskId: string): Promise<void> {
    const path = this.workspacePath(taskId);
    if (!isInside(this.basePath, path) || path === this.basePath) throw new InputError(`refusing to remove ${path}`, { field: 'taskId' });
    await rm(path, { recursive: true, force: true });
  }
}
