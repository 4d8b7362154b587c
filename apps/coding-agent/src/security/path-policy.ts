import { constants } from 'node:fs';
import { lstat, mkdir, open, readFile, realpath } from 'node:fs/promises';
import { basename, dirname, extname, isAbsolute, join, relative, sep } from 'node:path';
import { NotAllowedError } from '@atb/service-kit';
import { isInside } from '../workspace/path-inside.js';

/**
 * The coding agent's one path policy. Every path a model, a task or a repository names goes
 * through here: before an edit (`checkWritablePath`), before a file is shown to the model,
 * in the diff checks before a commit (`protectedBy`), in the repository map
 * (`resolveInWorkspace`) and for the repository files the agent reads itself (`readWorkspaceText`). One set of refusal codes and messages serves all of them.
 */

/** Why a path was refused; the same words in task edits, diff findings and HTTP errors. */
export type PathRefusalCode = 'invalid' | 'outside-workspace' | 'symlink-escape' | 'protected' | 'file-type' | 'not-allowed';

/** A refused path: `code`, a message naming the path and the rule, and the path as given. */
export interface PathRefusal {
  code: PathRefusalCode;
  path: string;
  message: string;
}

/** A path the coding agent may not touch: 403, with `details.code` and the offending `path`. */
export class PathRefusedError extends NotAllowedError {
  readonly refusal: PathRefusal;
  constructor(refusal: PathRefusal) {
    super(refusal.message, { field: 'path', details: { code: refusal.code, path: refusal.path } });
    this.refusal = refusal;
  }
}

export type PathDecision = { ok: true; absolute: string; relative: string } | ({ ok: false } & PathRefusal);

/** Paths refused for every task: git's own directory holds hooks that would run outside the sandbox. */
export const ALWAYS_PROTECTED_PATTERNS = ['.git', '.git/**', '**/.git', '**/.git/**'];

/** CI definitions: a change here runs with the repository's CI secrets, outside any sandbox. */
export const CI_PATTERNS = [
  '.github/workflows/**',
  '.github/actions/**',
  '.gitea/workflows/**',
  '.forgejo/workflows/**',
  '**/.gitlab-ci.yml',
  '**/*.gitlab-ci.yml',
  '.gitlab/ci/**',
  '.circleci/**',
  'azure-pipelines.yml',
  'azure-pipelines.yaml',
  '.azure-pipelines/**',
  '.travis.yml',
  '**/Jenkinsfile',
  '**/*.jenkinsfile',
  'bitbucket-pipelines.yml',
  '.buildkite/**',
  '.drone.yml',
  '.woodpecker.yml',
  '.woodpecker/**',
  'appveyor.yml',
  '.appveyor.yml',
];

/** Environment files, keys and other secrets, at any depth. */
export const SECRET_PATTERNS = [
  '**/.env*',
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

/**
 * The agent's own instructions (which commands check and test a change): a task may not
 * rewrite how it is graded.
 */
export const AGENT_PATTERNS = ['.atb/**', 'ATB.md'];

/** Paths refused unless the task explicitly names them. */
export const PROTECTED_PATTERNS = [...CI_PATTERNS, ...SECRET_PATTERNS, ...AGENT_PATTERNS];

export interface PathPolicyOptions {
  /**
   * Extensions (`.ts`) or whole file names (`Dockerfile`) that may be edited (`ALLOWED_FILE_TYPES`);
   * compared case-insensitively. Empty: any type.
   */
  allowedFileTypes: readonly string[];
  /**
   * The task's `allowed_paths` (exact paths, directory prefixes or globs): when given, only these
   * may change. A protected path among them is lifted only by an entry naming that path or the
   * protected pattern itself: `src` does not unlock `src/.env`, `src/.env` or `**\/.env*` does.
   */
  allowedPaths?: readonly string[];
  /**
   * Whether an `allowed_paths` entry may lift a CI path at all (the coding agent's own
   * ALLOW_CI_PATHS, default false). Off, CI definitions are as closed as `.git`, whatever a task asks.
   */
  allowCiPaths?: boolean;
}

/** Turns a glob (`**` any depth, `*` within a segment, `?` one character) into a RegExp over `/` paths. */
export function globToRegExp(glob: string): RegExp {
  let pattern = '';
  for (let index = 0; index < glob.length; index++) {
    const character = glob[index] as string;
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

/** A path or `allowed_paths` entry as compared: `/` separators, no leading `./`, no trailing `/`. */
export function normalizePath(path: string): string {
  return path.replace(/\\/g, '/').replace(/^(?:\.\/)+/, '').replace(/\/+$/, '');
}

/** Is `path` matched by one of the task's `allowed_paths` (exact, directory prefix or glob)? */
export function matchesAllowedPaths(path: string, allowedPaths: readonly string[]): boolean {
  return allowedPaths.some((allowed) => {
    const entry = normalizePath(allowed);
    if (entry.includes('*') || entry.includes('?')) return globToRegExp(entry).test(path);
    return path === entry || path.startsWith(`${entry}/`);
  });
}

/** The protected pattern a workspace-relative `/` path falls under (`.git` included), if any. */
export function protectedPattern(path: string): string | undefined {
  return matchesAny(path, ALWAYS_PROTECTED_PATTERNS) ?? matchesAny(path, PROTECTED_PATTERNS);
}

/**
 * Does an `allowed_paths` entry lift the protection `pattern` puts on `path`? Only an entry
 * naming the path itself, or the pattern (`.github/workflows/**`, or its directory
 * `.github/workflows`), does; a broader directory or glob never does.
 */
function liftsProtection(entry: string, path: string, pattern: string): boolean {
  const named = normalizePath(entry);
  return named.toLowerCase() === path.toLowerCase() || named === pattern || `${named}/**` === pattern;
}

/**
 * Why `path` may not change (a refusal with code `protected`), or undefined: `.git` always; CI
 * definitions unless the agent's configuration allows CI paths (`allowCiPaths`) and an entry
 * names the path or the pattern; the other protected patterns unless an entry names them.
 */
export function protectedBy(path: string, allowedPaths: readonly string[] = [], options: { allowCiPaths?: boolean } = {}): PathRefusal | undefined {
  const always = matchesAny(path, ALWAYS_PROTECTED_PATTERNS);
  if (always) return { code: 'protected', path, message: `path ${path} is git's own directory and may never be edited` };
  const pattern = matchesAny(path, PROTECTED_PATTERNS);
  if (!pattern) return undefined;
  const ci = CI_PATTERNS.includes(pattern);
  if (ci && !options.allowCiPaths) {
    return { code: 'protected', path, message: `path ${path} is protected (${pattern}: CI); the coding agent's configuration does not allow CI paths (ALLOW_CI_PATHS=false)` };
  }
  if (allowedPaths.some((entry) => liftsProtection(entry, path, pattern))) return undefined;
  const kind = ci ? 'CI' : AGENT_PATTERNS.includes(pattern) ? "the agent's own instructions" : 'secrets';
  return {
    code: 'protected',
    path,
    message: `path ${path} is protected (${pattern}: ${kind}); only an allowed_paths entry naming ${path} or ${pattern} lifts it`,
  };
}

/** Reads `ALLOWED_FILE_TYPES` (`.py,.md,Dockerfile`) into a list. */
export function parseAllowedFileTypes(text: string): string[] {
  return text
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry.length > 0);
}

function lexicalRefusal(path: string): PathRefusal | undefined {
  if (typeof path !== 'string' || path.trim() === '' || path.includes('\0')) {
    return { code: 'invalid', path: String(path), message: 'path must be a non-empty relative path' };
  }
  if (isAbsolute(path)) {
    return { code: 'outside-workspace', path, message: `path must be relative to the workspace, got the absolute path ${path}` };
  }
  if (path.split(/[/\\]+/).includes('..')) {
    return { code: 'outside-workspace', path, message: `path may not contain "..", got ${path}` };
  }
  return undefined;
}

async function deepestExisting(target: string): Promise<string> {
  let existing = target;
  for (;;) {
    try {
      await lstat(existing);
      return existing;
    } catch {
      existing = dirname(existing);
    }
  }
}

/** A contained path: the absolute path as named, and where it really leads through symbolic links. */
interface Contained {
  root: string;
  absolute: string;
  real: string;
}

async function contain(workspace: string, path: string): Promise<Contained | PathRefusal> {
  const lexical = lexicalRefusal(path);
  if (lexical) return lexical;
  const root = await realpath(workspace);
  const absolute = join(root, ...path.split(/[/\\]+/).filter((segment) => segment !== '' && segment !== '.'));
  if (absolute === root) return { code: 'invalid', path, message: 'path must name a file inside the workspace' };
  const existing = await deepestExisting(absolute);
  const real = await realpath(existing).catch(() => undefined);
  if (real === undefined) return { code: 'symlink-escape', path, message: `path ${path} goes through a dangling symbolic link` };
  if (!isInside(root, real)) {
    return { code: 'symlink-escape', path, message: `path ${path} leads outside the workspace through a symbolic link` };
  }
  return { root, absolute, real: join(real, relative(existing, absolute)) };
}

function toRelative(root: string, absolute: string): string {
  return relative(root, absolute).split(sep).join('/');
}

/**
 * Resolves a path given relative to the workspace (as a model, a task or `git ls-files` wrote
 * it) to an absolute path certainly inside the workspace. Refuses empty paths, NUL bytes,
 * absolute paths, any `..` segment, and symbolic-link escapes: the real path of the deepest
 * existing ancestor (or of the file itself when it exists) must stay inside the workspace's
 * real path. The file itself need not exist.
 *
 * @example
 * await resolveInWorkspace('/work/ws/task-1', 'src/app.ts'); // { ok: true, absolute: '/work/ws/task-1/src/app.ts', relative: 'src/app.ts' }
 * await resolveInWorkspace('/work/ws/task-1', '../outside'); // { ok: false, code: 'outside-workspace', … }
 */
export async function resolveInWorkspace(workspace: string, path: string): Promise<PathDecision> {
  const contained = await contain(workspace, path);
  if ('code' in contained) return { ok: false, ...contained };
  return { ok: true, absolute: contained.absolute, relative: toRelative(contained.root, contained.absolute) };
}

/**
 * The text of a repository file the agent reads for itself (instructions, `package.json`),
 * or undefined when it is missing or leads outside the workspace (a symbolic link to a host
 * file is never read).
 */
export async function readWorkspaceText(workspace: string, path: string): Promise<string | undefined> {
  const contained = await resolveInWorkspace(workspace, path);
  if (!contained.ok) return undefined;
  return readFile(contained.absolute, 'utf8').catch(() => undefined);
}

function fileTypeRefusal(path: string, types: readonly string[]): PathRefusal | undefined {
  if (types.length === 0) return undefined;
  const extension = extname(path).toLowerCase();
  const name = basename(path).toLowerCase();
  const allowed = types.some((type) => {
    const entry = type.toLowerCase();
    return entry.startsWith('.') ? entry === extension : entry === name;
  });
  return allowed ? undefined : { code: 'file-type', path, message: `file type of ${path} is not allowed; allowed: ${types.join(', ')}` };
}

/**
 * May the agent write `path`? In order: contained in the workspace (as `resolveInWorkspace`),
 * inside the task's `allowed_paths` when it has any, not protected, an allowed file type. Each
 * check applies both to the path as named and to where a symbolic link inside the workspace
 * leads (`src/config.ts → ../.env` is refused).
 */
export async function checkWritablePath(workspace: string, path: string, options: PathPolicyOptions): Promise<PathDecision> {
  const allowedPaths = options.allowedPaths ?? [];
  const normalized = normalizePath(path);
  const contained = await contain(workspace, path);
  if ('code' in contained) return { ok: false, ...contained };
  const named = toRelative(contained.root, contained.absolute);
  const leadsTo = toRelative(contained.root, contained.real);
  const outsideAllowed = [named, leadsTo].find((candidate) => allowedPaths.length > 0 && !matchesAllowedPaths(candidate, allowedPaths));
  if (outsideAllowed !== undefined) {
    const message = `path ${outsideAllowed} is outside the task's allowed_paths (${allowedPaths.join(', ')})`;
    return { ok: false, code: 'not-allowed', path: normalized, message };
  }
  const refusal = [...new Set([named, leadsTo])]
    .map((candidate) => protectedBy(candidate, allowedPaths, options) ?? fileTypeRefusal(candidate, options.allowedFileTypes))
    .find((found) => found !== undefined);
  if (refusal) return { ok: false, ...refusal, path: normalized };
  return { ok: true, absolute: contained.absolute, relative: named };
}

/**
 * Writes a file the way the coder must: `checkWritablePath` first (throws `PathRefusedError`),
 * parent directories created, the path checked again after that, and the file opened with
 * `O_NOFOLLOW` so a symbolic link planted at the last component cannot redirect the write.
 * Answers the absolute path written.
 */
export async function writeWorkspaceFile(workspace: string, path: string, content: string | Uint8Array, options: PathPolicyOptions): Promise<string> {
  const decide = async () => {
    const decision = await checkWritablePath(workspace, path, options);
    if (!decision.ok) throw new PathRefusedError(decision);
    return decision.absolute;
  };
  const target = await decide();
  await mkdir(dirname(target), { recursive: true });
  await decide();
  const handle = await open(target, constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC | constants.O_NOFOLLOW, 0o644);
  try {
    await handle.writeFile(content);
  } finally {
    await handle.close();
  }
  return target;
}
