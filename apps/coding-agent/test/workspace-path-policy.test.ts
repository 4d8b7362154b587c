import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  globToRegExp,
  parseAllowedFileTypes,
  resolveEditablePath,
  resolveInWorkspace,
  WorkspacePathError,
  writeWorkspaceFile,
} from '../src/workspace/path-policy.js';

let root: string;
let workspace: string;
let outside: string;

async function refusal(promise: Promise<unknown>): Promise<WorkspacePathError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof WorkspacePathError) return error;
    throw error;
  }
  throw new Error('expected a WorkspacePathError, but the path was accepted');
}

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'atb-path-policy-'));
  outside = join(root, 'outside');
  workspace = join(root, 'workspace');
  await mkdir(outside);
  await writeFile(join(outside, 'secret.txt'), 'host secret');
  await mkdir(join(workspace, 'src'), { recursive: true });
  await writeFile(join(workspace, 'src', 'app.ts'), 'export const a = 1;\n');
  // A real repository containing symbolic links: one pointing outside, one inside, one dangling.
  await symlink(outside, join(workspace, 'escape'));
  await symlink(join(outside, 'secret.txt'), join(workspace, 'src', 'linked.ts'));
  await symlink('src', join(workspace, 'source'));
  await symlink(join(root, 'missing'), join(workspace, 'dangling.ts'));
  execFileSync('git', ['init', '-q', workspace]);
  execFileSync('git', ['-C', workspace, 'add', '-A']);
  execFileSync('git', ['-C', workspace, '-c', 'user.name=t', '-c', 'user.email=t@example.com', 'commit', '-qm', 'init']);
});

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('resolveInWorkspace', () => {
  it('resolves relative paths, existing or new, inside the workspace', async () => {
    expect(await resolveInWorkspace(workspace, 'src/app.ts')).toBe(join(workspace, 'src', 'app.ts'));
    expect(await resolveInWorkspace(workspace, './src/new/deep/file.ts')).toBe(join(workspace, 'src', 'new', 'deep', 'file.ts'));
    expect(await resolveInWorkspace(workspace, 'source/app.ts')).toBe(join(workspace, 'source', 'app.ts'));
  });

  it('refuses .., absolute paths, empty paths and NUL bytes with a 403', async () => {
    for (const path of ['../outside/secret.txt', 'src/../../outside', 'src/..', '..']) {
      const error = await refusal(resolveInWorkspace(workspace, path));
      expect(error.reason).toBe('outside');
      expect(error.statusCode).toBe(403);
      expect(error.field).toBe('path');
    }
    expect((await refusal(resolveInWorkspace(workspace, join(outside, 'secret.txt')))).reason).toBe('outside');
    expect((await refusal(resolveInWorkspace(workspace, '/etc/passwd'))).reason).toBe('outside');
    expect((await refusal(resolveInWorkspace(workspace, ''))).reason).toBe('invalid');
    expect((await refusal(resolveInWorkspace(workspace, '.'))).reason).toBe('invalid');
    expect((await refusal(resolveInWorkspace(workspace, 'a\0b'))).reason).toBe('invalid');
  });

  it('refuses symbolic-link escapes: a linked directory, a linked file, a dangling link', async () => {
    expect((await refusal(resolveInWorkspace(workspace, 'escape/secret.txt'))).reason).toBe('symlink-escape');
    expect((await refusal(resolveInWorkspace(workspace, 'escape/new/file.ts'))).reason).toBe('symlink-escape');
    expect((await refusal(resolveInWorkspace(workspace, 'src/linked.ts'))).reason).toBe('symlink-escape');
    expect((await refusal(resolveInWorkspace(workspace, 'dangling.ts'))).reason).toBe('symlink-escape');
  });
});

describe('resolveEditablePath and writeWorkspaceFile', () => {
  it('refuses protected paths unless the task allows them; .git never', async () => {
    for (const path of ['.github/workflows/ci.yml', '.env', '.env.production', 'config/.env.local', 'deploy/server.pem', 'keys/id_rsa', 'src/secrets.json', '.npmrc']) {
      expect((await refusal(resolveEditablePath(workspace, path))).reason, path).toBe('protected');
    }
    expect(await resolveEditablePath(workspace, '.github/workflows/ci.yml', { allowedProtectedPaths: ['.github/workflows/**'] })).toBe(
      join(workspace, '.github', 'workflows', 'ci.yml'),
    );
    for (const path of ['.git/hooks/pre-commit', '.git/config', 'sub/.git/config']) {
      const error = await refusal(resolveEditablePath(workspace, path, { allowedProtectedPaths: ['**'] }));
      expect(error.reason, path).toBe('protected');
    }
    expect(await resolveEditablePath(workspace, '.github/dependabot.yml')).toBe(join(workspace, '.github', 'dependabot.yml'));
    expect(await resolveEditablePath(workspace, '.gitignore')).toBe(join(workspace, '.gitignore'));
  });

  it('enforces the file-type allowlist by extension or whole name', async () => {
    const policy = { allowedFileTypes: parseAllowedFileTypes('.ts, .md,Dockerfile') };
    expect(await resolveEditablePath(workspace, 'src/app.ts', policy)).toBe(join(workspace, 'src', 'app.ts'));
    expect(await resolveEditablePath(workspace, 'README.MD', policy)).toBe(join(workspace, 'README.MD'));
    expect(await resolveEditablePath(workspace, 'Dockerfile', policy)).toBe(join(workspace, 'Dockerfile'));
    expect((await refusal(resolveEditablePath(workspace, 'run.sh', policy))).reason).toBe('file-type');
    expect((await refusal(resolveEditablePath(workspace, 'Makefile', policy))).reason).toBe('file-type');
  });

  it('writes inside the workspace and never through an escaping link (checked on the host)', async () => {
    await writeWorkspaceFile(workspace, 'src/new/file.ts', 'export {};\n');
    expect(await readFile(join(workspace, 'src', 'new', 'file.ts'), 'utf8')).toBe('export {};\n');
    await refusal(writeWorkspaceFile(workspace, 'escape/planted.ts', 'x'));
    await refusal(writeWorkspaceFile(workspace, 'src/linked.ts', 'overwritten'));
    await refusal(writeWorkspaceFile(workspace, '../outside/planted.ts', 'x'));
    expect(existsSync(join(outside, 'planted.ts'))).toBe(false);
    expect(await readFile(join(outside, 'secret.txt'), 'utf8')).toBe('host secret');
  });

  it('matches globs the way the patterns mean', () => {
    expect(globToRegExp('**/.env').test('.env')).toBe(true);
    expect(globToRegExp('**/.env').test('a/b/.env')).toBe(true);
    expect(globToRegExp('**/.env').test('a/.envy')).toBe(false);
    expect(globToRegExp('.github/workflows/**').test('.github/workflows/x/y.yml')).toBe(true);
    expect(globToRegExp('*.ts').test('a/b.ts')).toBe(false);
  });
});
