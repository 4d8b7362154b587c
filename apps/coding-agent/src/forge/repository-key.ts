import { createHash } from 'node:crypto';
import { basename, isAbsolute } from 'node:path';
import { InputError } from '@atb/service-kit';

const OWNER_NAME = /^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/;

/** Whether `repository` is a GitHub-style `owner/name`. */
export function isOwnerName(repository: string): boolean {
  return OWNER_NAME.test(repository) && !repository.split('/').some((part) => part === '.' || part === '..');
}

/**
 * A file-system-safe key for a repository given as `owner/name` (kept as is) or as an absolute
 * path to a local repository (`local/<name>-<hash>`), used for the local forge's bare
 * repositories, pull-request URLs and the mirror cache. Throws `InputError` (field `repository`)
 * for anything else.
 *
 * @example repositoryKey('acme/shop') // 'acme/shop'
 * @example repositoryKey('/srv/git/shop') // 'local/shop-3f2a9c1d'
 */
export function repositoryKey(repository: string): string {
  if (isOwnerName(repository)) return repository;
  if (isAbsolute(repository) && !repository.includes('\0')) {
    const name = basename(repository).replace(/\.git$/, '').replace(/[^A-Za-z0-9_.-]/g, '_') || 'repository';
    const hash = createHash('sha256').update(repository).digest('hex').slice(0, 8);
    return `local/${name}-${hash}`;
  }
  throw new InputError(`repository must be owner/name or an absolute path to a git repository, got ${repository}`, { field: 'repository' });
}
