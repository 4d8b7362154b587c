import { type SimpleGit, simpleGit } from 'simple-git';

/** Who commits: `GIT_USER_NAME` / `GIT_USER_EMAIL`. */
export interface GitIdentity {
  name: string;
  email: string;
}

export interface GitClientOptions {
  /** Working directory (a workspace, a mirror) for the git commands. */
  baseDir?: string;
  /** The forge's `gitAuth()` environment (a `GIT_CONFIG_*` extraHeader); merged, never logged. */
  auth?: Record<string, string>;
  identity?: GitIdentity;
  /** Kill a git command that runs longer than this; default 5 minutes. */
  timeoutMs?: number;
}

/** Configuration forced on every git command the agent runs on a workspace the sandbox could write. */
const HARDENING: Array<[string, string]> = [
  ['core.hooksPath', '/dev/null'],
  ['core.fsmonitor', 'false'],
  ['protocol.ext.allow', 'never'],
  ['credential.helper', ''],
];

/**
 * The environment for the agent's git processes: a fixed PATH, no system or global config (so
 * nothing of the host user's credentials or helpers leaks in), no terminal prompts, hooks and
 * fsmonitor disabled (a sandboxed test could have planted them), the forge's auth header and
 * the commit identity. Built from scratch: the agent's own secrets are never inherited.
 */
export function gitEnvironment(options: Pick<GitClientOptions, 'auth' | 'identity'> = {}): Record<string, string> {
  const environment: Record<string, string> = {
    PATH: '/usr/local/bin:/usr/bin:/bin',
    HOME: '/nonexistent',
    LANG: 'C',
    GIT_TERMINAL_PROMPT: '0',
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_CONFIG_GLOBAL: '/dev/null',
  };
  const auth = options.auth ?? {};
  const entries: Array<[string, string]> = [];
  const count = Number(auth.GIT_CONFIG_COUNT ?? 0);
  for (let index = 0; index < count; index++) {
    const key = auth[`GIT_CONFIG_KEY_${index}`];
    const value = auth[`GIT_CONFIG_VALUE_${index}`];
    if (key !== undefined && value !== undefined) entries.push([key, value]);
  }
  for (const [name, value] of Object.entries(auth)) if (!name.startsWith('GIT_CONFIG_')) environment[name] = value;
  entries.push(...HARDENING);
  environment.GIT_CONFIG_COUNT = String(entries.length);
  entries.forEach(([key, value], index) => {
    environment[`GIT_CONFIG_KEY_${index}`] = key;
    environment[`GIT_CONFIG_VALUE_${index}`] = value;
  });
  if (options.identity) {
    environment.GIT_AUTHOR_NAME = options.identity.name;
    environment.GIT_AUTHOR_EMAIL = options.identity.email;
    environment.GIT_COMMITTER_NAME = options.identity.name;
    environment.GIT_COMMITTER_EMAIL = options.identity.email;
  }
  return environment;
}

/**
 * A simple-git client with `gitEnvironment()`: use it for every git command on a workspace
 * (clone, fetch, commit, push). simple-git refuses `GIT_CONFIG_COUNT`, `GIT_CONFIG_GLOBAL` and
 * settings such as `core.hooksPath` unless told they are intended; they are ours (they make git
 * safer, not less), so that is done here and only here.
 *
 * @example
 * const git = createGit({ baseDir: workspace.path, auth: forge.gitAuth?.(repository), identity: { name, email } });
 * await git.add('.'); await git.commit(message); await git.push('origin', workspace.branch);
 */
export function createGit(options: GitClientOptions = {}): SimpleGit {
  return simpleGit({
    ...(options.baseDir ? { baseDir: options.baseDir } : {}),
    timeout: { block: options.timeoutMs ?? 300_000 },
    unsafe: {
      allowUnsafeConfigEnvCount: true,
      allowUnsafeConfigPaths: true,
      allowUnsafeHooksPath: true,
      allowUnsafeFsMonitor: true,
      allowUnsafeCredentialHelper: true,
      allowUnsafeProtocolOverride: true,
    },
  }).env(gitEnvironment(options));
}
