import { ForbiddenError, hasRole, type Principal } from '@atb/service-kit';
import { normalizePath, PROTECTED_PATTERNS, protectedPattern } from '../security/path-policy.js';

/**
 * Whether an `allowed_paths` entry lifts a protection: it names a protected path
 * (`.github/workflows/ci.yml`, `src/.env`) or a protected pattern (`.github/workflows/**`, or its
 * directory `.github/workflows`) — the only entries the path policy lets through.
 */
export function liftsProtection(entry: string): boolean {
  const named = normalizePath(entry);
  return protectedPattern(named) !== undefined || PROTECTED_PATTERNS.some((pattern) => pattern === named || pattern === `${named}/**`);
}

/**
 * Refuses (403 `forbidden`, naming the entry) `allowed_paths` that lift protected paths unless
 * the caller is a person with the operator role or stronger: a service principal (the devops
 * agent's token) never lifts them, whatever its role, nor does an unauthenticated caller.
 */
export function assertMayLiftProtection(principal: Principal | undefined, allowedPaths: readonly string[]): void {
  const index = allowedPaths.findIndex(liftsProtection);
  if (index < 0) return;
  if (principal?.kind === 'person' && hasRole(principal, 'operator')) return;
  const who = principal ? `${principal.name} (${principal.kind}, ${principal.role})` : 'an unauthenticated caller';
  throw new ForbiddenError(
    `allowed_paths entry "${allowedPaths[index]}" lifts a protected path; only a person with the operator role may, not ${who}`,
    { field: `body.allowed_paths.${index}` },
  );
}
