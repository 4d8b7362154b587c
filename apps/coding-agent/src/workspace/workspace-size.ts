import { lstat, readdir } from 'node:fs/promises';
import { join } from 'node:path';

const UNITS: Record<string, number> = {
  b: 1,
  k: 1024,
  kb: 1024,
  kib: 1024,
  m: 1024 ** 2,
  mb: 1024 ** 2,
  mib: 1024 ** 2,
  g: 1024 ** 3,
  gb: 1024 ** 3,
  gib: 1024 ** 3,
  t: 1024 ** 4,
  tb: 1024 ** 4,
  tib: 1024 ** 4,
};

/**
 * Reads a size such as `1GB`, `512MB`, `1.5GiB` or `1048576` (bytes), as in
 * `MAX_WORKSPACE_SIZE=1GB`. Units are binary (1 KB = 1024 bytes). Answers `undefined` for text
 * that is not a size, so the caller can name the setting in its error.
 *
 * @example parseByteSize('1GB') // 1073741824
 */
export function parseByteSize(text: string): number | undefined {
  const match = /^\s*(\d+(?:\.\d+)?)\s*([a-zA-Z]*)\s*$/.exec(text);
  if (!match) return undefined;
  const unit = UNITS[(match[2] ?? '').toLowerCase() || 'b'];
  if (unit === undefined) return undefined;
  return Math.floor(Number(match[1]) * unit);
}

/**
 * Bytes of all regular files under `directory` (apparent size, symbolic links not followed).
 * With `stopAbove`, stops counting as soon as the total passes it (enough to say "too big").
 */
export async function measureDirectorySize(directory: string, stopAbove = Number.POSITIVE_INFINITY): Promise<number> {
  let total = 0;
  const pending = [directory];
  while (pending.length > 0 && total <= stopAbove) {
    const batch = pending.splice(0, 64);
    await Promise.all(
      batch.map(async (current) => {
        let entries: import('node:fs').Dirent[];
        try {
          entries = await readdir(current, { withFileTypes: true });
        } catch {
          return; // removed while measuring, or unreadable: nothing to count
        }
        for (const entry of entries) {
          const path = join(current, entry.name);
          if (entry.isDirectory()) pending.push(path);
          else if (entry.isFile()) {
            try {
              // Not `total += await …`: that reads `total` before awaiting and loses concurrent additions.
              const { size } = await lstat(path);
              total += size;
            } catch {
              // removed while measuring
            }
          }
        }
      }),
    );
  }
  return total;
}
