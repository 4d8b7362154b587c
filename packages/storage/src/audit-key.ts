import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** The file, inside DATA_DIR, where a generated development audit key is kept (mode 0600). */
export const AUDIT_KEY_FILE_NAME = 'audit-hmac-key';
/** The file, inside DATA_DIR, the audit chain head is appended to by default. */
export const AUDIT_ANCHOR_FILE_NAME = 'audit-anchor';

export interface ResolveAuditKeyOptions {
  /** `AUDIT_HMAC_KEY`, if set (it wins). */
  configured: string | undefined;
  /** `AUDIT_HMAC_KEY_FILE`, if set: a file holding the key. */
  file: string | undefined;
  environment: string;
  dataDirectory: string;
}

/** A key shorter than this is refused: an HMAC key must not be guessable. */
const MIN_KEY_LENGTH = 32;

/**
 * The HMAC key of the audit chain: `AUDIT_HMAC_KEY`, else the content of `AUDIT_HMAC_KEY_FILE`;
 * in production one of them is required (throws, naming both); otherwise the key in
 * `<DATA_DIR>/audit-hmac-key`, generated at first start with 0600 permissions and read back after.
 */
export function resolveAuditKey(options: ResolveAuditKeyOptions): string {
  if (options.configured) return checked(options.configured, 'AUDIT_HMAC_KEY');
  if (options.file) return checked(readFileSync(options.file, 'utf8').trim(), `AUDIT_HMAC_KEY_FILE (${options.file})`);
  if (options.environment === 'production') {
    throw new Error(
      'AUDIT_HMAC_KEY or AUDIT_HMAC_KEY_FILE: required when ENVIRONMENT=production (the audit chain is keyed); set one to a long random secret',
    );
  }
  const file = join(options.dataDirectory, AUDIT_KEY_FILE_NAME);
  try {
    const existing = readFileSync(file, 'utf8').trim();
    if (existing.length >= MIN_KEY_LENGTH) return existing;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  mkdirSync(options.dataDirectory, { recursive: true });
  const key = randomBytes(32).toString('base64url');
  writeFileSync(file, `${key}\n`, { mode: 0o600 });
  chmodSync(file, 0o600);
  return key;
}

function checked(key: string, source: string): string {
  if (key.length < MIN_KEY_LENGTH) throw new Error(`${source}: expected at least ${MIN_KEY_LENGTH} characters, found ${key.length}`);
  return key;
}
