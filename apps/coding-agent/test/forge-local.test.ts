import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { simpleGit } from 'simple-git';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalForge } from '../src/forge/local-forge.js';
import { forgeContract } from './forge.contract.js';

const identity = ['-c', 'user.name=Test', '-c', 'user.email=test@example.com'];

/** A real repository with one commit on main, in a fresh temp directory. */
async function sourceRepository(root: string): Promise<string> {
  const source = join(root, 'source');
  await mkdir(source, { recursive: true });
  const git = simpleGit({ baseDir: source });
  await git.init(['--quiet', '--initial-branch=main']);
  await writeFile(join(source, 'README.md'), '# shop\n');
  await git.add('.');
  await git.raw([...identity, 'commit', '--quiet', '-m', 'initial']);
  return source;
}

describe('LocalForge', () => {
  forgeContract(async () => {
    const root = await mkdtemp(join(tmpdir(), 'atb-local-forge-'));
    const source = await sourceRepository(root);
    const forge = new LocalForge({ directory: join(root, 'forge') });
    const repository = 'acme/shop';
    const bare = await forge.ensureRepository(repository, source);
    const clone = join(root, 'clone');
    await simpleGit().clone(bare, clone, ['--quiet']);
    const git = simpleGit({ baseDir: clone });
    return {
      forge,
      repository,
      secrets: [],
      async createBranch(branch) {
        if (branch === 'main') return;
        await git.checkout(['-B', branch, 'origin/main']);
        await writeFile(join(clone, `${branch.replace(/\W/g, '-')}.txt`), branch);
        await git.add('.');
        await git.raw([...identity, 'commit', '--quiet', '-m', `work on ${branch}`]);
        await git.push('origin', branch);
      },
      async recordedReviewers(number) {
        const store = JSON.parse(await readFile(join(root, 'forge', 'pull-requests.json'), 'utf8')) as {
          pullRequests: Array<{ number: number; reviewers: string[] }>;
        };
        return store.pullRequests.find((pull) => pull.number === number)?.reviewers ?? [];
      },
      close: () => rm(root, { recursive: true, force: true }),
    };
  });
});

describe('LocalForge specifics', () => {
  let root: string;
  let source: string;

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'atb-local-forge-specifics-'));
    source = await sourceRepository(root);
  });

  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('seeds the bare remote from a local repository given by path, with a local:// URL per repository', async () => {
    const forge = new LocalForge({ directory: join(root, 'forge') });
    const bare = await forge.ensureRepository(source);
    expect(bare).toBe(forge.remoteUrl(source));
    expect(await forge.ensureRepository(source)).toBe(bare);
    const branches = await simpleGit({ baseDir: bare }).raw(['branch', '--list']);
    expect(branches).toContain('main');
    const pull = await forge.openPullRequest({ repository: source, head: 'main', base: 'main', title: 't', body: 'b' });
    expect(pull.url).toMatch(/^local:\/\/local\/source-[0-9a-f]{8}\/pulls\/1$/);
  });

  it('refuses a branch that was never pushed, and an unknown repository', async () => {
    const forge = new LocalForge({ directory: join(root, 'forge') });
    await expect(forge.openPullRequest({ repository: source, head: 'atb/missing', base: 'main', title: 't', body: '' })).rejects.toMatchObject({
      statusCode: 422,
      field: 'head',
    });
    await expect(forge.openPullRequest({ repository: 'acme/unknown', head: 'x', base: 'main', title: 't', body: '' })).rejects.toMatchObject({
      statusCode: 404,
      field: 'repository',
    });
    await expect(forge.listPullRequests('not a repository')).rejects.toMatchObject({ statusCode: 400, field: 'repository' });
  });

  it('keeps records across instances (a restart) and records state changes', async () => {
    const first = new LocalForge({ directory: join(root, 'forge') });
    const [pull] = await first.listPullRequests(source);
    expect(pull).toBeDefined();
    const second = new LocalForge({ directory: join(root, 'forge') });
    await second.setState(source, pull!.number, 'merged');
    expect((await first.getPullRequest(source, pull!.number))?.state).toBe('merged');
  });
});
