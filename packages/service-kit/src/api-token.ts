import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** The file, inside DATA_DIR, where a generated development token is kept (mode 0600). */
export const TOKEN_FILE_NAME = 'api-token';

/** Thrown when a service must not start without a configured token (production). */
export class MissingTokenError extends Error {
  constructor(
    readonly variable: string,
    environment: string,
    what: string,
  ) {
    super(`${variable}: required when ENVIRONMENT=${environment} (${what} no unauthenticated mode); set it to a long random secret`);
    this.name = 'MissingTokenError';
  }
}

/** A service's bearer token and where it came from. */
export interface ResolvedToken {
  token: string;
  /** `environment` (the variable), `file` (read back) or `generated` (new file). */
  origin: 'environment' | 'file' | 'generated';
  file?: string;
  /** Who holds it, for audit logs: `token:<first 8 hex of its SHA-256>`. */
  principal: string;
}

export interface ResolveApiTokenOptions {
  /** The configured token, if any (it always wins). */
  configured: string | undefined;
  environment: string;
  dataDirectory: string;
  /** The variable that configures it, named in errors (e.g. `AGENT_API_TOKEN`). */
  variable: string;
  /** What has no unauthenticated mode, for the error (e.g. `the gateway has`). */
  what: string;
}

/** `token:<first 8 hex digits of SHA-256(token)>`: names a token in an audit log without revealing it. */
export function tokenPrincipal(token: string): string {
  return `token:${createHash('sha256').update(token).digest('hex').slice(0, 8)}`;
}

/**
 * The bearer token a service accepts: the configured one when set; in production nothing else
 * (throws {@link MissingTokenError}, so the service refuses to start); otherwise the token in
 * `<DATA_DIR>/api-token`, generated at first start with 0600 permissions and read back after,
 * where `atb` finds it. There is no unauthenticated mode.
 */
export function resolveApiToken(options: ResolveApiTokenOptions): ResolvedToken {
  if (options.configured) return { token: options.configured, origin: 'environment', principal: tokenPrincipal(options.configured) };
  if (options.environment === 'production') throw new MissingTokenError(options.variable, options.environment, options.what);
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
