import { ValidationError } from '@atb/service-kit';
import type { PageKey } from '../store/agent-store.js';

/** The opaque cursor of a page's last row (base64url of its time and id). */
export function encodeCursor(key: PageKey): string {
  return Buffer.from(JSON.stringify([key.at, key.id]), 'utf8').toString('base64url');
}

/** The page key in a cursor; a cursor that is not one of ours is a 422 naming `cursor`. */
export function decodeCursor(cursor: string | undefined): PageKey | undefined {
  if (cursor === undefined) return undefined;
  try {
    const value = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown;
    if (Array.isArray(value) && value.length === 2 && typeof value[0] === 'string' && typeof value[1] === 'string') return { at: value[0], id: value[1] };
  } catch {
    // falls through to the error below
  }
  throw new ValidationError('cursor: not a next_cursor of this list', { field: 'query.cursor' });
}

/**
 * One page of a newest-first list: reads `limit + 1` rows with `read`, keeps `limit`, and
 * names the cursor of the last one when more follow.
 */
export async function readPage<T>(limit: number, read: (limit: number) => Promise<T[]>, keyOf: (row: T) => PageKey): Promise<{ rows: T[]; next_cursor: string | null }> {
  const rows = await read(limit + 1);
  if (rows.length <= limit) return { rows, next_cursor: null };
  const kept = rows.slice(0, limit);
  return { rows: kept, next_cursor: encodeCursor(keyOf(kept[kept.length - 1]!)) };
}
