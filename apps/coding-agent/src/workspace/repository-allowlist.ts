import { isAbsolute, resolve } from 'node:path';
import { NotAllowedError } from '@atb/service-kit';

/** Reads `ALLOWED_REPOSITORIES` (`acme/shop,/srv/git/tools`) into a list. */
export function parseAllowedRepositories(text: string): string[] {
  return text
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry.length > 0);
}

function normalise(repository: string): string {
  return isAbsolute(repository) ? resolve(repository).replace(/\/+$/, '') || '/' : repository.toLowerCase();
}

/**
 * Whether `repository` is on the allowlist: an exact `owner/name` (case-insensitive, as on
 * GitHub) or the same absolute path (normalised; no prefix matching). `*` allows every
 * repository; an empty list allows none.
 */
export function isRepositoryAllowed(repository: string, allowed: readonly string[]): boolean {
  if (allowed.includes('*')) return true;
  const wanted = normalise(repository);
  return allowed.some((entry) => normalise(entry) === wanted);
}

/** Throws `NotAllowedError` (403, field `repository`) unless `repository` is allowed. */
export function assertRepositoryAllowed(repository: string, allowed: readonly string[]): void {
  if (!isRepositoryAllowed(repository, allowed)) {
    throw new NotAllowedError(`repository ${repository} is not in ALLOWED_REPOSITORIES`, { field: 'repository' });
  }
}
