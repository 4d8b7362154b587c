import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** The file, inside DATA_DIR, where a generated development token is kept (mode 0600). */
export const TOKEN_FILE_NAME = 'api-token';

/** Thrown when the agent must not start without a configured token. */
export class MissingTokenError extends Error {
  constructor(environment: string) {
    super(
      `AGENT_API_TOKEN: required when ENVIRONMENT=${environment} (approvals and controls have no unauthenticated mode); set it to a long random secret`,
    );
    this.name = 'MissingTokenError';
  }
}

/** The token the agent's state-changing routes require, and where it came from. */
export interface ResolvedToken {
  token: string;
  /** `environment` (AGENT_API_TOKEN), `file` (read back) or `generated` (new file). */
  origin: 'environment' | 'file' | 'generated';
  file?: string;
  /** Who holds it, for the audit log: `token:<first 8 hex of its SHA-256>`. */
  principal: string;
}

/** `token:<first 8 hex digits of SHA-256(token)>`: names a token in the audit without revealing it. */
export function tokenPrincipal(token: string): string {
  return `token:${createHash('sha256').update(token).digest('hex').slice(0, 8)}`;
}

/**
 * The bearer token of the agent's API (the same scheme as the command gateway): AGENT_API_TOKEN
 * when set; in production, nothing else (refuses to start); otherwise the token in
 * `<DATA_DIR>/api-token`, generated at first start with 0600 permissions and read back afterwards,
 * where `atb approve|reject` find it.
 */
export function resolveApiToken(options: { configured: string | undefined; environment: string; dataDirectory: string }): ResolvedToken {
  if (options.configured) return { token: options.configured, origin: 'environment', principal: tokenPrincipal(options.configured) };
  if (options.environment === 'production') throw new MissingTokenError(options.environment);
  const file = join(options.dataDirectory, TOKEN_FILE_NAME);
  try {
    const existing = readFileSync(file, 'utf8').trim();
    if (existing.length >= 16) return { token: existing, origin: 'file', file, principal: tokenPrincipal(existing) };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  mkdirSync(options.dataDirectory, { recursive: true });
  const token = randomBytes(32).toString('base64url');
  writeFileSync(file, `${token}\n`, { mode: 0o600 });
  chmodSync(file, 0o600);
  return { token, origin: 'generated', file, principal: tokenPrincipal(token) };
}

/**
 * Checks an `Authorization` header against the token in constant time: both sides are hashed
 * to equal-length SHA-256 digests first, so neither the content nor the length leaks.
 */
export function createBearerCheck(token: string): (authorization: string | undefined) => boolean {
  const expected = createHash('sha256').update(token).digest();
  return (authorization) => {
    if (typeof authorization !== 'string') return false;
    const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
    const presented = createHash('sha256')
      .update(match?.[1] ?? '')
      .digest();
    return timingSafeEqual(expected, presented) && match !== null;
  };
}
