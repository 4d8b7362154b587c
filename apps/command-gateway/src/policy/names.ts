/**
 * Strict names for targets and sources: ASCII letters and digits first, then letters, digits,
 * `_`, `.` or `-` (Docker's own container-name rule). Unicode look-alikes, spaces, shell
 * metacharacters, `/` and `..` path segments can never pass.
 */
export const NAME_PATTERN = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;

/** Longest container or source name accepted. */
export const MAX_NAME_LENGTH = 128;

/** `undefined` when `name` is acceptable, otherwise why not. */
export function checkName(name: string): string | undefined {
  if (name.length === 0) return 'is empty';
  if (name.length > MAX_NAME_LENGTH) return `is longer than ${MAX_NAME_LENGTH} characters`;
  if (!NAME_PATTERN.test(name)) {
    return 'may contain only ASCII letters, digits, "_", "." and "-", starting with a letter or digit';
  }
  if (name.includes('..')) return 'may not contain ".."';
  return undefined;
}
