import { constants } from 'node:fs';
import { lstat, mkdir, open, realpath } from 'node:fs/promises';
import { basename, dirname, extname, isAbsolute, join, relative, sep } from 'node:path';
import { NotAllowedError } from '@atb/service-kit';
import { isInside } from './path-inside.js';

/** Why a path was refused. */
export type PathRefusal = 'invalid' | 'outside' | 'symlink-escape' | 'protected' | 'file-type';

/** A path the coding agent may not touch: 403, with `reason` and the offending `path`. */
export class WorkspacePathError extends NotAllowedError {
  constructor(
    readonly reason: PathRefusal,
    readonly path: string,
    message: string,
  ) {
    super(message, { field: 'path', details: { reason, path } });
  }
}

/** Paths refused for every task: git's own directory holds hooks that would run outside the sandbox. */
export const ALWAYS_PROTECTED_PATTERNS = ['.git', '.git/**', '**/.git', '**/.git/**'];

/**
 * Paths refused unless a task explicitly allows them (SPEC §6): CI workflows, environment files,
 * keys and other secrets.
 */
export const PROTECTED_PATH_PATTERNS = [
  '.github/workflows/**',
  '**/.env',
  '**/.env.*',
  '**/.envrc',
  '**/*.pem',
  '**/*.key',
  '**/*.p12',
  '**/*.pfx',
  '**/*.keystore',
  '**/*.jks',
  '**/id_rsa*',
  '**/id_dsa*',
  '**/id_ecdsa*',
  '**/id_ed25519*',
  '**/.npmrc',
  '**/.pypirc',
  '**/.netrc',
  '**/.git-credentials',
  '**/*secret*',
  '**/*credential*',
];

/** What a task may edit beyond "inside the workspace". */
export interface EditPolicy {
  /**
   * Extensions (`.ts`) or whole file names (`Dockerfile`) that may be edited (`ALLOWED_FILE_TYPES`);
   * compared case-insensitively. Undefined or empty: any type.
   */
  allowedFileTypes?: readonly string[];
  /** Protected-path globs this task explicitly allows (e.g. `.github/workflows/**`); `.git` never. */
  allowedProtectedPaths?: readonly string[];
}

/** Turns a glob (`**` any depth, `*` within a segment, `?` one character) into a RegExp over `/` paths. */
export function globToRegExp(glob: string): RegExp {
  let pattern = '';
  for (let index = 0; index < glob.length; index++) {
    const character = glob[index]!;
    if (character === '*' && glob[index + 1] === '*') {
      const slashFollows = glob[index + 2] === '/';
      pattern += slashFollows ? '(?:.*/)?' : '.*';
      index += slashFollows ? 2 : 1;
    } else if (character === '*') pattern += '[^/]*';
    else if (character === '?') pattern += '[^/]';
    else pattern += character.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${pattern}$`, 'i');
}

function matchesAny(path: string, patterns: readonly string[]): string | undefined {
  return patterns.find((pattern) => globToRegExp(pattern).test(path));
}

/** The protected pattern a workspace-relative `/` path falls under, if any. */
export function protectedPattern(relativePath: string): string | undefined {
  return matchesAny(relativePath, ALWAYS_PROTECTED_PATTERNS) ?? matchesAny(relativePath, PROTECTED_PATH_PATTERNS);
}

/** Reads `ALLOWED_FILE_TYPES` (`.py,.md,Dockerfile`) into a list. */
export function parseAllowedFileTypes(text: string): string[] {
  return text
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry.length > 0);
}

/**
 * Resolves a path given relative to the workspace (as a model or a user wrote it) to an absolute
 * path that is certainly inside the workspace. Refuses (403 `WorkspacePathError`): empty paths,
 * NUL bytes, absolute paths, any `..` segment, and symbolic-link escapes — the real path of the
 * deepest existing ancestor (or of the file itself when it exists) must stay inside the
 * workspace's real path. The file itself need not exist.
 *
 * @example
 * const file = await resolveInWorkspace('/work/ws/task-1', 'src/app.ts'); // '/work/ws/task-1/src/app.ts'
 * await resolveInWorkspace('/work/ws/task-1', '../outside'); // throws WorkspacePathError('outside')
 */
export async function resolveInWorkspace(workspace: string, relativePath: string): Promise<string> {
  if (typeof relativePath !== 'string' || relativePath.trim() === '' || relativePath.includes('\0')) {
    throw new WorkspacePathError('invalid', String(relativePath), 'path must be a non-empty relative path');
  }
  if (isAbsolute(relativePath)) {
    throw new WorkspacePathError('outside', relativePath, `path must be relative to the workspace, got the absolute path ${relativePath}`);
  }
  const segments = relativePath.split(/[/\\]+/);
  if (segments.includes('..')) {
    throw new WorkspacePathError('outside', relativePath, `path may not contain "..", got ${relativePath}`);
  }
  const root = await realpath(workspace);
  const target = join(root, ...segments.filter((segment) => segment !== '' && segment !== '.'));
  if (target === root) throw new WorkspacePathError('invalid', relativePath, 'path must name a file inside the workspace');
  let existing = target;
  for (;;) {
    try {
      await lstat(existing);
      break;
    } catch {
      existing = dirname(existing);
    }
  }
  let real: string;
  try {
    real = await realpath(existing);
  } catch {
    throw new WorkspacePathError('symlink-escape', relativePath, `path ${relativePath} goes through a dangling symbolic link`);
  }
  if (!isInside(root, real)) {
    throw new WorkspacePathError('symlink-escape', relativePath, `path ${relativePath} leads outside the workspace through a symbolic link (to ${real})`);
  }
  return target;
}

/**
 * The check before every edit the coder makes: `resolveInWorkspace`, then protected paths
 * (`.git` always; workflows, `.env*`, keys and secrets unless the policy allows them), then the
 * file-type allowlist. Answers the absolute path to write.
 */
export async function resolveEditablePath(workspace: string, relativePath: string, policy: EditPolicy = {}): Promise<string> {
  const target = await resolveInWorkspace(workspace, relativePath);
  const path = relative(await realpath(workspace), target).split(sep).join('/');
  const always = matchesAny(path, ALWAYS_PROTECTED_PATTERNS);
  if (always) throw new WorkspacePathError('protected', relativePath, `path ${path} is git's own directory and may never be edited`);
  const protectedBy = matchesAny(path, PROTECTED_PATH_PATTERNS);
  if (protectedBy && !matchesAny(path, policy.allowedProtectedPaths ?? [])) {
    throw new WorkspacePathError('protected', relativePath, `path ${path} is protected (${protectedBy}); the task does not allow it`);
  }
  const types = policy.allowedFileTypes ?? [];
  if (types.length > 0) {
    const extension = extname(path).toLowerCase();
    const name = basename(path).toLowerCase();
    const allowed = types.some((type) => {
      const entry = type.toLowerCase();
      return entry.startsWith('.') ? entry === extension : entry === name;
    });
    if (!allowed) {
      throw new WorkspacePathError('file-type', relativePath, `file type of ${path} is not allowed; allowed: ${types.join(', ')}`);
    }
  }
  return target;
}

/**
 * Writes a file the way the coder must: `resolveEditablePath` first, parent directories created,
 * the path checked again after that, and the file opened with `O_NOFOLLOW` so a symbolic link
 * planted at the last component cannot redirect the write. Answers the absolute path written.
 */
export async function writeWorkspaceFile(workspace: string, relativePath: string, content: string | Uint8Array, policy: EditPolicy = {}): Promise<string> {
  const target = await resolveEditablePath(workspace, relativePath, policy);
  await mkdir(dirname(target), { recursive: true });
  await resolveEditablePath(workspace, relativePath, policy);
  const handle = await open(target, constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC | constants.O_NOFOLLOW, 0o644);
  try {
    await handle.writeFile(content);
  } finally {
    await handle.close();
  }
  return target;
}
