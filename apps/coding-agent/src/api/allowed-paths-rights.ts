import { ForbiddenError, hasRole, type Principal } from '@atb/service-kit';
import { CI_PATTERNS, normalizePath, PROTECTED_PATTERNS, protectedPattern } from '../security/path-policy.js';

/**
 * Whether an `allowed_paths` entry lifts a protection: it names a protected path
 * (`.github/workflows/ci.yml`, `src/.env`) or a protected pattern (`.github/workflows/**`, or its
 * directory `.github/workflows`) — the only entries the path policy lets through.
 */
export function liftsProtection(entry: string): boolean {
  const named = normalizePath(entry);
  return protectedPattern(named) !== undefined || PROTECTED_PATTERNS.some((pattern) => pattern === named || pattern === `${named}/**`);
}

/** Whether an entry names a CI definition or a CI pattern (its directory included). */
export function namesCiPath(entry: string): boolean {
  const named = normalizePath(entry);
  const pattern = protectedPattern(named);
  return (pattern !== undefined && CI_PATTERNS.includes(pattern)) || CI_PATTERNS.some((ci) => ci === named || ci === `${named}/**`);
}

/**
 * Refuses (403 `forbidden`, naming the entry) `allowed_paths` that lift protected paths unless
 * the caller is a person with the operator role or stronger: a service principal (the devops
 * agent's token) never lifts them, whatever its role, nor does an unauthenticated caller. CI
 * paths are refused for everyone unless the agent's own configuration allows them (ALLOW_CI_PATHS).
 */
export function assertMayLiftProtection(principal: Principal | undefined, allowedPaths: readonly string[], options: { allowCiPaths: boolean } = { allowCiPaths: false }): void {
  const ci = options.allowCiPaths ? -1 : allowedPaths.findIndex(namesCiPath);
  if (ci >= 0) {
    throw new ForbiddenError(`allowed_paths entry "${allowedPaths[ci]}" names a CI path; the coding agent's configuration does not allow CI paths (ALLOW_CI_PATHS=false)`, {
      field: `body.allowed_paths.${ci}`,
    });
  }
  const index = allowedPaths.findIndex(liftsProtection);
  if (index < 0) return;
  if (principal?.kind === 'person' && hasRole(principal, 'operator')) return;
  const who = principal ? `${principal.name} (${principal.kind}, ${principal.role})` : 'an unauthenticated caller';
  throw new ForbiddenError(
    `allowed_paths entry "${allowedPaths[index]}" lifts a protected path; only a person with the operator role may, not ${who}`,
    { field: `body.allowed_paths.${index}` },
  );
}
