import { isAbsolute, relative, sep } from 'node:path';

/** Whether `inner` is `outer` or lies below it (both absolute and normalised; no file-system access). */
export function isInside(outer: string, inner: string): boolean {
  const path = relative(outer, inner);
  return path === '' || (path !== '..' && !path.startsWith(`..${sep}`) && !isAbsolute(path));
}
