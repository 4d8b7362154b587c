import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root: apps/cli/{src,dist/src} → four or three levels up. */
export function repositoryRoot(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  return here.includes('/dist/') || here.endsWith('/dist/src') ? resolve(here, '../../../..') : resolve(here, '../../..');
}
