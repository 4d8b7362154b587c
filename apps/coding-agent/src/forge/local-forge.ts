import { existsSync } from 'node:fs';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { NotFoundError, ValidationError } from '@atb/service-kit';
import { simpleGit } from 'simple-git';
import type { Forge, PullRequest, PullRequestInput } from './forge.js';
import { repositoryKey } from './repository-key.js';

export interface LocalForgeOptions {
  /** Directory holding the bare repositories (`repositories/<key>.git`) and `pull-requests.json`. */
  directory: string;
  /** Clock for `createdAt`; default `new Date()`. */
  now?: () => Date;
}

/** A pull request as the local forge stores it. */
export interface LocalPullRequestRecord extends Required<Omit<PullRequest, 'warnings'>> {
  repository: string;
}

interface Store {
  pullRequests: LocalPullRequestRecord[];
}

/**
 * The embedded forge: a local bare repository per repository as the remote, and pull requests
 * kept as records in `<directory>/pull-requests.json` (written atomically), with URLs like
 * `local://acme/shop/pulls/1`. The coding agent's API shows them; nothing leaves the machine.
 *
 * @example
 * const forge = new LocalForge({ directory: join(config.DATA_DIRECTORY, 'forge') });
 * await forge.ensureRepository('/srv/git/shop'); // bare copy seeded from the local repository
 */
export class LocalForge implements Forge {
  readonly kind = 'local';
  private readonly directory: string;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(private readonly options: LocalForgeOptions) {
    this.directory = resolve(options.directory);
  }

  private get storePath(): string {
    return join(this.directory, 'pull-requests.json');
  }

  /** Path of the bare repository that is the remote of `repository`. */
  remoteUrl(repository: string): string {
    return join(this.directory, 'repositories', `${repositoryKey(repository)}.git`);
  }

  /**
   * Creates the bare repository when missing: a bare clone of `seedFrom`, or of `repository`
   * itself when that is a path to a local repository, otherwise an empty one. Answers its path.
   */
  async ensureRepository(repository: string, seedFrom?: string): Promise<string> {
    const bare = this.remoteUrl(repository);
    if (existsSync(join(bare, 'HEAD'))) return bare;
    await mkdir(dirname(bare), { recursive: true });
    const source = seedFrom ?? (isAbsolute(repository) ? repository : undefined);
    const temporary = `${bare}.partial-${process.pid}-${Date.now()}`;
    if (source) await simpleGit().clone(source, temporary, ['--bare', '--quiet']);
    else await simpleGit().init(['--bare', '--quiet', temporary]);
    await rename(temporary, bare);
    return bare;
  }

  private async load(): Promise<Store> {
    try {
      return JSON.parse(await readFile(this.storePath, 'utf8')) as Store;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { pullRequests: [] };
      throw error;
    }
  }

  private async save(store: Store): Promise<void> {
    await mkdir(this.directory, { recursive: true });
    const temporary = `${this.storePath}.${process.pid}.tmp`;
    await writeFile(temporary, `${JSON.stringify(store, null, 2)}\n`);
    await rename(temporary, this.storePath);
  }

  private serialised<T>(work: () => Promise<T>): Promise<T> {
    const next = this.queue.then(work, work);
    this.queue = next.catch(() => undefined);
    return next;
  }

  private async branchExists(bare: string, branch: string): Promise<boolean> {
    try {
      // simple-git does not treat a silent non-zero exit as an error: read the answer instead.
      const sha = await simpleGit({ baseDir: bare }).raw(['rev-parse', '--verify', '--quiet', `refs/heads/${branch}^{commit}`]);
      return /^[0-9a-f]{40,64}$/.test(sha.trim());
    } catch {
      return false;
    }
  }

  async openPullRequest(input: PullRequestInput): Promise<PullRequest> {
    const key = repositoryKey(input.repository);
    const bare = this.remoteUrl(input.repository);
    if (!existsSync(join(bare, 'HEAD'))) {
      throw new NotFoundError(`repository ${input.repository} has no remote in the local forge (${bare})`, { field: 'repository' });
    }
    for (const field of ['head', 'base'] as const) {
      if (!(await this.branchExists(bare, input[field]))) {
        throw new ValidationError(`branch ${input[field]} does not exist on the remote of ${input.repository}`, { field });
      }
    }
    return this.serialised(async () => {
      const store = await this.load();
      const existing = store.pullRequests.find(
        (pull) => pull.repository === key && pull.state === 'open' && pull.head === input.head && pull.base === input.base,
      );
      if (existing) {
        for (const label of input.labels ?? []) if (!existing.labels.includes(label)) existing.labels.push(label);
        for (const reviewer of input.reviewers ?? []) if (!existing.reviewers.includes(reviewer)) existing.reviewers.push(reviewer);
        await this.save(store);
        return toPullRequest(existing);
      }
      const number = 1 + Math.max(0, ...store.pullRequests.filter((pull) => pull.repository === key).map((pull) => pull.number));
      const record: LocalPullRequestRecord = {
        repository: key,
        number,
        url: `local://${key}/pulls/${number}`,
        state: 'open',
        head: input.head,
        base: input.base,
        title: input.title,
        body: input.body,
        labels: [...new Set(input.labels ?? [])],
        reviewers: [...new Set(input.reviewers ?? [])],
        createdAt: (this.options.now?.() ?? new Date()).toISOString(),
      };
      store.pullRequests.push(record);
      await this.save(store);
      return toPullRequest(record);
    });
  }

  async getPullRequest(repository: string, number: number): Promise<PullRequest | undefined> {
    const key = repositoryKey(repository);
    const store = await this.load();
    const record = store.pullRequests.find((pull) => pull.repository === key && pull.number === number);
    return record ? toPullRequest(record) : undefined;
  }

  async listPullRequests(repository: string): Promise<PullRequest[]> {
    const key = repositoryKey(repository);
    const store = await this.load();
    return store.pullRequests
      .filter((pull) => pull.repository === key)
      .sort((left, right) => right.number - left.number)
      .map(toPullRequest);
  }

  /** Marks a pull request closed or merged (what a reviewer does on a real forge). */
  async setState(repository: string, number: number, state: PullRequest['state']): Promise<PullRequest> {
    const key = repositoryKey(repository);
    return this.serialised(async () => {
      const store = await this.load();
      const record = store.pullRequests.find((pull) => pull.repository === key && pull.number === number);
      if (!record) throw new NotFoundError(`pull request ${number} of ${repository} not found`, { field: 'number' });
      record.state = state;
      await this.save(store);
      return toPullRequest(record);
    });
  }
}

function toPullRequest(record: LocalPullRequestRecord): PullRequest {
  const { repository: _repository, ...pull } = record;
  return { ...pull, labels: [...pull.labels], reviewers: [...pull.reviewers] };
}
