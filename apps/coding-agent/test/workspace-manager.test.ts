import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { simpleGit } from 'simple-git';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalForge } from '../src/forge/local-forge.js';
import { createGit, gitEnvironment } from '../src/workspace/git-client.js';
import { assertRepositoryAllowed, isRepositoryAllowed, parseAllowedRepositories } from '../src/workspace/repository-allowlist.js';
import { WorkspaceManager } from '../src/workspace/workspace-manager.js';
import { parseByteSize } from '../src/workspace/workspace-size.js';

const identity = { name: 'Test', email: 'test@example.com' };
let root: string;
let source: string;
let forge: LocalForge;
let manager: WorkspaceManager;

async function commit(directory: string, file: string, content: string, message: string): Promise<void> {
  await writeFile(join(directory, file), content);
  const git = createGit({ baseDir: directory, identity });
  await git.add(file);
  await git.commit(message);
}

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'atb-workspace-'));
  source = join(root, 'source');
  await mkdir(source);
  await simpleGit({ baseDir: source }).init(['--quiet', '--initial-branch=main']);
  for (let index = 0; index < 5; index++) await commit(source, 'prices.ts', `export const version = ${index};\n`, `change ${index}`);
  await createGit({ baseDir: source }).raw(['branch', 'release']);
  forge = new LocalForge({ directory: join(root, 'forge') });
  await forge.ensureRepository('acme/shop', source);
  manager = new WorkspaceManager({ basePath: join(root, 'workspaces'), forge, allowedRepositories: ['acme/shop', source] });
});

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('WorkspaceManager.prepareWorkspace', () => {
  it('clones through the mirror cache onto a new branch with origin at the forge', async () => {
    const workspace = await manager.prepareWorkspace({ repository: 'acme/shop', taskId: 'task-1' });
    expect(workspace).toMatchObject({ path: join(root, 'workspaces', 'task-1'), branch: 'atb/task-1', baseBranch: 'main', resumed: false });
    expect(workspace.remoteUrl).toBe(forge.remoteUrl('acme/shop'));
    const git = simpleGit({ baseDir: workspace.path });
    expect((await git.raw(['rev-parse', '--abbrev-ref', 'HEAD'])).trim()).toBe('atb/task-1');
    expect((await git.raw(['remote', 'get-url', 'origin'])).trim()).toBe(forge.remoteUrl('acme/shop'));
    expect((await git.raw(['rev-list', '--count', 'HEAD'])).trim()).toBe('5');
    expect(workspace.baseCommit).toBe((await simpleGit({ baseDir: source }).raw(['rev-parse', 'main'])).trim());
    expect(existsSync(join(manager.mirrorPath, 'acme/shop.git', 'HEAD'))).toBe(true);
    expect(await readFile(join(workspace.path, 'prices.ts'), 'utf8')).toBe('export const version = 4;\n');
  });

  it('shares no object files with the mirror (a sandboxed write cannot reach the cache)', async () => {
    const workspace = await manager.prepareWorkspace({ repository: 'acme/shop', taskId: 'task-links' });
    const inodes = async (directory: string) => {
      const found = new Set<number>();
      for (const entry of await readdir(directory, { recursive: true, withFileTypes: true })) {
        if (entry.isFile()) found.add((await stat(join(entry.parentPath, entry.name))).ino);
      }
      return found;
    };
    const mirror = await inodes(join(manager.mirrorPath, 'acme/shop.git', 'objects'));
    const copied = await inodes(join(workspace.path, '.git', 'objects'));
    expect(mirror.size).toBeGreaterThan(0);
    expect(copied.size).toBeGreaterThan(0);
    expect([...copied].filter((inode) => mirror.has(inode))).toEqual([]);
  });

  it('refreshes the mirror: a later task sees what was pushed to the forge meanwhile', async () => {
    const first = await manager.prepareWorkspace({ repository: 'acme/shop', taskId: 'task-2' });
    await commit(first.path, 'prices.ts', 'export const version = 5;\n', 'change 5');
    await createGit({ baseDir: first.path }).raw(['push', '--quiet', 'origin', 'atb/task-2:main']);
    const second = await manager.prepareWorkspace({ repository: 'acme/shop', taskId: 'task-3', baseBranch: 'main' });
    expect(await readFile(join(second.path, 'prices.ts'), 'utf8')).toBe('export const version = 5;\n');
  });

  it('starts from another base branch, and names base_branch when it does not exist', async () => {
    const workspace = await manager.prepareWorkspace({ repository: 'acme/shop', taskId: 'task-4', baseBranch: 'release', branch: 'atb/task-4-fix' });
    expect(workspace.baseBranch).toBe('release');
    expect(workspace.branch).toBe('atb/task-4-fix');
    await expect(manager.prepareWorkspace({ repository: 'acme/shop', taskId: 'task-5', baseBranch: 'nope' })).rejects.toMatchObject({
      statusCode: 400,
      field: 'base_branch',
    });
    expect(existsSync(join(manager.basePath, 'task-5'))).toBe(false);
    await expect(manager.prepareWorkspace({ repository: 'acme/shop', taskId: 'task-6', baseBranch: '--upload-pack=touch /tmp/x' })).rejects.toMatchObject({
      field: 'base_branch',
    });
  });

  it('reuses the workspace of a resumed task on the same branch, keeping its changes', async () => {
    const workspace = await manager.prepareWorkspace({ repository: 'acme/shop', taskId: 'task-7' });
    await writeFile(join(workspace.path, 'work-in-progress.ts'), 'export {};\n');
    const again = await manager.prepareWorkspace({ repository: 'acme/shop', taskId: 'task-7' });
    expect(again.resumed).toBe(true);
    expect(again.baseCommit).toBe(workspace.baseCommit);
    expect(existsSync(join(workspace.path, 'work-in-progress.ts'))).toBe(true);
  });

  it('takes a local repository given by path through the local forge', async () => {
    const workspace = await manager.prepareWorkspace({ repository: source, taskId: 'task-path' });
    expect(workspace.remoteUrl).toBe(forge.remoteUrl(source));
    expect(await readFile(join(workspace.path, 'prices.ts'), 'utf8')).toBe('export const version = 4;\n');
  });

  it('refuses repositories not allowed (403) and unsafe task ids (400)', async () => {
    await expect(manager.prepareWorkspace({ repository: 'evil/repo', taskId: 'task-8' })).rejects.toMatchObject({ statusCode: 403, field: 'repository' });
    await expect(manager.prepareWorkspace({ repository: 'acme/shop', taskId: '../escape' })).rejects.toMatchObject({ statusCode: 400, field: 'taskId' });
    expect(existsSync(join(manager.basePath, 'task-8'))).toBe(false);
  });

  it('measures, limits and removes workspaces', async () => {
    const size = await manager.measureWorkspace('task-1');
    expect(size).toBeGreaterThan(100);
    // Concurrent directory walks must add up the same every time.
    const again = await Promise.all([1, 2, 3, 4].map(() => manager.measureWorkspace('task-1')));
    expect(again).toEqual([size, size, size, size]);
    await expect(manager.assertWithinSize('task-1', 10)).rejects.toMatchObject({ statusCode: 413, field: 'MAX_WORKSPACE_SIZE' });
    await manager.assertWithinSize('task-1', size + 1);
    const small = new WorkspaceManager({ basePath: manager.basePath, forge, maxWorkspaceBytes: 10 });
    await expect(small.prepareWorkspace({ repository: 'acme/shop', taskId: 'task-big' })).rejects.toMatchObject({ statusCode: 413 });
    await manager.removeWorkspace('task-1');
    expect(existsSync(join(manager.basePath, 'task-1'))).toBe(false);
    await manager.removeWorkspace('task-1');
  });
});

describe('repository allowlist, sizes and git environment', () => {
  it('matches owner/name exactly (case-insensitive) and paths exactly', () => {
    const allowed = parseAllowedRepositories(' acme/shop , /srv/git/tools ');
    expect(isRepositoryAllowed('acme/shop', allowed)).toBe(true);
    expect(isRepositoryAllowed('ACME/Shop', allowed)).toBe(true);
    expect(isRepositoryAllowed('acme/shop2', allowed)).toBe(false);
    expect(isRepositoryAllowed('acme', allowed)).toBe(false);
    expect(isRepositoryAllowed('/srv/git/tools/', allowed)).toBe(true);
    expect(isRepositoryAllowed('/srv/git/tools/../other', allowed)).toBe(false);
    expect(isRepositoryAllowed('/srv/git', allowed)).toBe(false);
    expect(isRepositoryAllowed('anything/else', ['*'])).toBe(true);
    expect(isRepositoryAllowed('acme/shop', [])).toBe(false);
    expect(() => assertRepositoryAllowed('x/y', allowed)).toThrow(/ALLOWED_REPOSITORIES/);
  });

  it('parses seed-style sizes', () => {
    expect(parseByteSize('1GB')).toBe(1024 ** 3);
    expect(parseByteSize('512 MB')).toBe(512 * 1024 ** 2);
    expect(parseByteSize('1.5k')).toBe(1536);
    expect(parseByteSize('2048')).toBe(2048);
    expect(parseByteSize('lots')).toBeUndefined();
    expect(parseByteSize('5 parsecs')).toBeUndefined();
  });

  it('builds a git environment with the auth header, hooks disabled and no inherited secrets', () => {
    const environment = gitEnvironment({
      auth: { GIT_CONFIG_COUNT: '1', GIT_CONFIG_KEY_0: 'http.https://github.com/.extraHeader', GIT_CONFIG_VALUE_0: 'Authorization: Basic eA==' },
      identity,
    });
    expect(environment.GIT_CONFIG_KEY_0).toBe('http.https://github.com/.extraHeader');
    expect(Object.values(environment)).toContain('core.hooksPath');
    expect(environment.GIT_AUTHOR_NAME).toBe('Test');
    expect(Object.keys(environment).some((key) => /TOKEN|API_KEY/.test(key))).toBe(false);
  });
});
