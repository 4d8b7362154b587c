import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** The file, inside DATA_DIR, where a generated development token is kept (mode 0600). */
export const TOKEN_FILE_NAME = 'api-token';

/** Thrown when the gateway must not start without a configured token. */
export class MissingTokenError extends Error {
  constructor(environment: string) {
    super(
      `AI_COMMAND_GATEWAY_TOKEN: required when ENVIRONMENT=${environment} (the gateway has no unauthenticated mode); set it to a long random secret`,
    );
    this.name = 'MissingTokenError';
  }
}

export interface ResolvedToken {
  token: string;
  /** `environment` (AI_COMMAND_GATEWAY_TOKEN), `file` (read back) or `generated` (new file). */
  origin: 'environment' | 'file' | 'generated';
  file?: string;
}

/**
 * The bearer token the gateway accepts: AI_COMMAND_GATEWAY_TOKEN when set; in production,
 * nothing else (refuses to start); in development and test, the token in `<DATA_DIR>/api-token`,
 * generated at first start with 0600 permissions, where `atb` and the devops agent read it.
 */
export function resolveApiToken(options: {
  configured: string | undefined;
  environment: string;
  dataDirectory: string;
}): ResolvedToken {
  if (options.configured) return { token: options.configured, origin: 'environment' };
  if (options.environment === 'production') throw new MissingTokenError(options.environment);
  const file = join(options.dataDirectory, TOKEN_FILE_NAME);
  try {
    const existing = readFileSync(file, 'utf8').trim();
    if (existing.length >= 16) return { token: existing, origin: 'file', file };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  mkdirSync(options.dataDirectory, { recursive: true });
  const token = randomBytes(32).toString('base64url');
  writeFileSync(file, `${token}\n`, { mode: 0o600 });
  chmodSync(file, 0o600);
  return { token, origin: 'generated', file };
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
