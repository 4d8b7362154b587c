import { relative, sep } from 'node:path';
import { realpath } from 'node:fs/promises';
import { globToRegExp, protectedPattern, resolveEditablePath, WorkspacePathError } from '../workspace/path-policy.js';

/**
 * May the agent write `path`? Every path the model names goes through here before any byte is
 * written. This adapter puts the task's `allowed_paths` on top of the workspace rules of
 * `src/workspace/path-policy.ts` (`resolveEditablePath`: relative, inside the workspace, no
 * symlink escape, not protected unless allowed, an allowed file type).
 */
export type PathDecision =
  | { ok: true; absolute: string; relative: string }
  | { ok: false; rule: 'outside-workspace' | 'symlink' | 'file-type' | 'protected' | 'not-allowed' | 'invalid'; reason: string };

export interface PathPolicyOptions {
  allowedFileTypes: string[];
  /**
   * The task's `allowed_paths` (exact paths, directory prefixes or globs): when given, only these
   * may change, and protected paths among them are allowed explicitly.
   */
  allowedPaths?: string[];
}

function entryPattern(entry: string): string {
  return entry.replace(/^\.\//, '').replace(/\/+$/, '');
}

/** Is `path` matched by one of the task's `allowed_paths` (exact, directory prefix or glob)? */
export function matchesAllowedPaths(path: string, allowedPaths: readonly string[]): boolean {
  return allowedPaths.some((allowed) => {
    const entry = entryPattern(allowed);
    if (entry.includes('*') || entry.includes('?')) return globToRegExp(entry).test(path);
    return path === entry || path.startsWith(`${entry}/`);
  });
}

/**
 * The agent's own instructions (which commands check and test a change) are protected like CI
 * workflows: a task may not rewrite how it is graded unless it is allowed to.
 */
export const AGENT_PROTECTED_PATTERNS = ['.atb/**', 'ATB.md'];

/** Why `path` is protected (the matching pattern), or undefined. */
export function protectedReason(path: string): string | undefined {
  return protectedPattern(path) ?? AGENT_PROTECTED_PATTERNS.find((pattern) => globToRegExp(pattern).test(path));
}

const RULES: Record<string, Extract<PathDecision, { ok: false }>['rule']> = {
  invalid: 'invalid',
  outside: 'outside-workspace',
  'symlink-escape': 'symlink',
  protected: 'protected',
  'file-type': 'file-type',
};

/** Decides whether the agent may write `path` inside `workspace`. */
export async function checkWritablePath(workspace: string, path: string, options: PathPolicyOptions): Promise<PathDecision> {
  const allowedPaths = options.allowedPaths ?? [];
  const normalized = path.replace(/\\/g, '/').replace(/^\.\//, '');
  if (allowedPaths.length > 0 && !path.startsWith('/') && !normalized.split('/').includes('..') && !matchesAllowedPaths(normalized, allowedPaths)) {
    return { ok: false, rule: 'not-allowed', reason: `"${normalized}" is outside the task's allowed_paths (${allowedPaths.join(', ')})` };
  }
  const agentProtected = AGENT_PROTECTED_PATTERNS.find((pattern) => globToRegExp(pattern).test(normalized));
  if (agentProtected && !matchesAllowedPaths(normalized, allowedPaths)) {
    return { ok: false, rule: 'protected', reason: `path ${normalized} is protected (${agentProtected}: the agent's own instructions); the task does not allow it` };
  }
  try {
    const absolute = await resolveEditablePath(workspace, path, {
      allowedFileTypes: options.allowedFileTypes,
      allowedProtectedPaths: allowedPaths.flatMap((entry) => {
        const clean = entryPattern(entry);
        return clean.includes('*') ? [clean] : [clean, `${clean}/**`];
      }),
    });
    return { ok: true, absolute, relative: relative(await realpath(workspace), absolute).split(sep).join('/') };
  } catch (error) {
    if (error instanceof WorkspacePathError) {
      return { ok: false, rule: RULES[error.reason] ?? 'invalid', reason: error.message };
    }
    throw error;
  }
}
