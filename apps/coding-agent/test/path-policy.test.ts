import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  checkWritablePath,
  globToRegExp,
  type PathDecision,
  PathRefusedError,
  parseAllowedFileTypes,
  protectedBy,
  resolveInWorkspace,
  writeWorkspaceFile,
} from '../src/security/path-policy.js';

let root: string;
let workspace: string;
let outside: string;

const anyType = { allowedFileTypes: [] };

function codeOf(decision: PathDecision): string {
  return decision.ok ? 'accepted' : decision.code;
}

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'atb-path-policy-'));
  outside = join(root, 'outside');
  workspace = join(root, 'workspace');
  await mkdir(outside);
  await writeFile(join(outside, 'secret.txt'), 'host secret');
  await mkdir(join(workspace, 'src'), { recursive: true });
  await writeFile(join(workspace, 'src', 'app.ts'), 'export const a = 1;\n');
  await writeFile(join(workspace, '.env'), 'TOKEN=x\n');
  // A real repository containing symbolic links: outside, inside, dangling, and one to a protected file.
  await symlink(outside, join(workspace, 'escape'));
  await symlink(join(outside, 'secret.txt'), join(workspace, 'src', 'linked.ts'));
  await symlink('src', join(workspace, 'source'));
  await symlink(join(root, 'missing'), join(workspace, 'dangling.ts'));
  await symlink('../.env', join(workspace, 'src', 'config.ts'));
  await writeFile(join(workspace, 'run.sh'), 'echo hi\n');
  await symlink('../run.sh', join(workspace, 'src', 'tool.ts'));
  execFileSync('git', ['init', '-q', workspace]);
  execFileSync('git', ['-C', workspace, 'add', '-A']);
  execFileSync('git', ['-C', workspace, '-c', 'user.name=t', '-c', 'user.email=t@example.com', 'commit', '-qm', 'init']);
});

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('resolveInWorkspace', () => {
  it('resolves relative paths, existing or new, inside the workspace', async () => {
    expect(await resolveInWorkspace(workspace, 'src/app.ts')).toEqual({ ok: true, absolute: join(workspace, 'src', 'app.ts'), relative: 'src/app.ts' });
    expect(await resolveInWorkspace(workspace, './src/new/deep/file.ts')).toMatchObject({ ok: true, relative: 'src/new/deep/file.ts' });
    expect(await resolveInWorkspace(workspace, 'source/app.ts')).toMatchObject({ ok: true, absolute: join(workspace, 'source', 'app.ts') });
  });

  it.each([
    ['../outside/secret.txt', 'outside-workspace'],
    ['src/../../outside', 'outside-workspace'],
    ['src/..', 'outside-workspace'],
    ['..', 'outside-workspace'],
    ['/etc/passwd', 'outside-workspace'],
    ['', 'invalid'],
    ['.', 'invalid'],
    ['a\0b', 'invalid'],
    ['escape/secret.txt', 'symlink-escape'],
    ['escape/new/file.ts', 'symlink-escape'],
    ['src/linked.ts', 'symlink-escape'],
    ['dangling.ts', 'symlink-escape'],
  ])('refuses %j (%s)', async (path, code) => {
    const decision = await resolveInWorkspace(workspace, path);
    expect(codeOf(decision)).toBe(code);
    expect(!decision.ok && decision.message).toContain(path === '' || path.includes('\0') || path === '.' ? 'path must' : path);
  });

  it('refuses an absolute path into the workspace’s neighbour', async () => {
    expect(codeOf(await resolveInWorkspace(workspace, join(outside, 'secret.txt')))).toBe('outside-workspace');
  });
});

const CI_PATHS = [
  '.github/workflows/ci.yml',
  '.github/actions/setup/action.yml',
  '.github/actions/setup/action.yaml',
  '.gitlab-ci.yml',
  'templates/deploy.gitlab-ci.yml',
  '.gitlab/ci/build.yml',
  '.circleci/config.yml',
  'azure-pipelines.yml',
  'azure-pipelines.yaml',
  '.travis.yml',
  'Jenkinsfile',
  'ci/Jenkinsfile',
  'bitbucket-pipelines.yml',
  '.buildkite/pipeline.yml',
  '.gitea/workflows/ci.yml',
  '.drone.yml',
];

const SECRET_PATHS = ['.env', '.env.production', '.envrc', 'config/.env.local', 'src/.env', 'deploy/server.pem', 'keys/id_rsa', 'src/secrets.json', '.npmrc'];

describe('checkWritablePath: protected paths', () => {
  it.each(CI_PATHS)('refuses the CI file %s', async (path) => {
    const decision = await checkWritablePath(workspace, path, anyType);
    expect(codeOf(decision)).toBe('protected');
    expect(!decision.ok && decision.message).toMatch(/CI/);
    expect(protectedBy(path)?.code).toBe('protected');
  });

  it.each(SECRET_PATHS)('refuses the secret %s', async (path) => {
    expect(codeOf(await checkWritablePath(workspace, path, anyType))).toBe('protected');
  });

  it.each([
    ['src/.env', ['src']],
    ['src/.env', ['src/**']],
    ['src/.env', ['**']],
    ['src/deploy/.env.local', ['src/deploy']],
    ['.github/workflows/ci.yml', ['.github']],
    ['.github/workflows/ci.yml', ['.github/**']],
    ['.github/actions/setup/action.yml', ['.github/*/setup/action.yml']],
    ['.circleci/config.yml', ['.circleci/*']],
    ['Jenkinsfile', ['**/*']],
  ])('an allowed directory or broad glob does not unlock %s (allowed_paths %j)', async (path, allowedPaths) => {
    const decision = await checkWritablePath(workspace, path, { ...anyType, allowedPaths });
    expect(codeOf(decision)).toBe('protected');
    expect(protectedBy(path, allowedPaths)?.code).toBe('protected');
  });

  it.each([
    ['src/.env', ['src', 'src/.env']],
    ['src/.env', ['**/.env*']],
  ])('an entry naming the path or its pattern unlocks %s (allowed_paths %j)', async (path, allowedPaths) => {
    expect(await checkWritablePath(workspace, path, { ...anyType, allowedPaths })).toMatchObject({ ok: true, relative: path });
    expect(protectedBy(path, allowedPaths)).toBeUndefined();
  });

  it.each(CI_PATHS)('without ALLOW_CI_PATHS even an entry naming the CI file %s does not unlock it', async (path) => {
    for (const allowedPaths of [[path], [`./${path}`], ['**'], [path.split('/')[0] as string]]) {
      const decision = await checkWritablePath(workspace, path, { ...anyType, allowedPaths });
      expect(codeOf(decision), JSON.stringify(allowedPaths)).toBe('protected');
      expect(!decision.ok && decision.message).toContain('ALLOW_CI_PATHS=false');
      expect(protectedBy(path, allowedPaths)?.code).toBe('protected');
    }
  });

  it.each(CI_PATHS)('with ALLOW_CI_PATHS an entry naming the CI file %s unlocks it (a broad one still does not)', async (path) => {
    const allowCi = { ...anyType, allowCiPaths: true };
    expect(await checkWritablePath(workspace, path, { ...allowCi, allowedPaths: [path] })).toMatchObject({ ok: true, relative: path });
    expect(protectedBy(path, [path], { allowCiPaths: true })).toBeUndefined();
    expect(codeOf(await checkWritablePath(workspace, path, { ...allowCi, allowedPaths: ['**'] }))).toBe('protected');
    expect(codeOf(await checkWritablePath(workspace, path, allowCi))).toBe('protected');
  });

  it.each([
    ['.github/workflows/ci.yml', ['.github/workflows/**']],
    ['.github/workflows/ci.yml', ['.github/workflows']],
    ['.github/workflows/ci.yml', ['./.github/workflows/ci.yml']],
    ['.github/actions/setup/action.yml', ['.github/actions/**']],
    ['.gitlab-ci.yml', ['.gitlab-ci.yml']],
    ['Jenkinsfile', ['Jenkinsfile']],
  ])('with ALLOW_CI_PATHS the CI pattern itself unlocks %s (allowed_paths %j)', async (path, allowedPaths) => {
    expect(await checkWritablePath(workspace, path, { ...anyType, allowCiPaths: true, allowedPaths })).toMatchObject({ ok: true, relative: path });
  });

  it('never unlocks .git', async () => {
    for (const path of ['.git/hooks/pre-commit', '.git/config', 'sub/.git/config']) {
      expect(codeOf(await checkWritablePath(workspace, path, { ...anyType, allowedPaths: [path, '**', '.git/**'] })), path).toBe('protected');
    }
  });

  it('checks where a link inside the workspace leads: src/config.ts → .env is protected, src/tool.ts → run.sh a refused type', async () => {
    const decision = await checkWritablePath(workspace, 'src/config.ts', { ...anyType, allowedPaths: ['src'] });
    expect(codeOf(decision)).toBe('not-allowed');
    expect(codeOf(await checkWritablePath(workspace, 'src/config.ts', anyType))).toBe('protected');
    expect(codeOf(await checkWritablePath(workspace, 'src/tool.ts', { allowedFileTypes: ['.ts'] }))).toBe('file-type');
  });

  it('leaves ordinary files, dependabot and .gitignore editable', async () => {
    for (const path of ['src/app.ts', '.github/dependabot.yml', '.gitignore', 'src/environment.ts', 'docs/ci.md']) {
      expect(codeOf(await checkWritablePath(workspace, path, anyType)), path).toBe('accepted');
    }
  });
});

describe('checkWritablePath: allowed_paths and file types', () => {
  it('limits changes to allowed_paths', async () => {
    const options = { ...anyType, allowedPaths: ['src'] };
    expect(await checkWritablePath(workspace, 'src/app.ts', options)).toMatchObject({ ok: true });
    const refused = await checkWritablePath(workspace, 'README.md', options);
    expect(codeOf(refused)).toBe('not-allowed');
    expect(!refused.ok && refused.message).toMatch(/allowed_paths \(src\)/);
  });

  it('enforces the file-type allowlist by extension or whole name', async () => {
    const options = { allowedFileTypes: parseAllowedFileTypes('.ts, .md,Dockerfile') };
    for (const path of ['src/app.ts', 'README.MD', 'Dockerfile']) expect(codeOf(await checkWritablePath(workspace, path, options)), path).toBe('accepted');
    for (const path of ['run.sh', 'Makefile']) expect(codeOf(await checkWritablePath(workspace, path, options)), path).toBe('file-type');
  });
});

describe('writeWorkspaceFile', () => {
  it('writes inside the workspace and never through an escaping link (checked on the host)', async () => {
    await writeWorkspaceFile(workspace, 'src/new/file.ts', 'export {};\n', anyType);
    expect(await readFile(join(workspace, 'src', 'new', 'file.ts'), 'utf8')).toBe('export {};\n');
    for (const path of ['escape/planted.ts', 'src/linked.ts', '../outside/planted.ts']) {
      const error = await writeWorkspaceFile(workspace, path, 'x', anyType).catch((caught: unknown) => caught);
      expect(error, path).toBeInstanceOf(PathRefusedError);
      expect((error as PathRefusedError).statusCode).toBe(403);
      expect((error as PathRefusedError).field).toBe('path');
    }
    expect(existsSync(join(outside, 'planted.ts'))).toBe(false);
    expect(await readFile(join(outside, 'secret.txt'), 'utf8')).toBe('host secret');
  });
});

describe('globToRegExp', () => {
  it('matches globs the way the patterns mean', () => {
    expect(globToRegExp('**/.env').test('.env')).toBe(true);
    expect(globToRegExp('**/.env').test('a/b/.env')).toBe(true);
    expect(globToRegExp('**/.env').test('a/.envy')).toBe(false);
    expect(globToRegExp('.github/workflows/**').test('.github/workflows/x/y.yml')).toBe(true);
    expect(globToRegExp('*.ts').test('a/b.ts')).toBe(false);
  });
});
