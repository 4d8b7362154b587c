import type { LoggerOptions } from 'pino';

/**
 * Paths pino blanks out of every log line: credentials in headers and any field that looks
 * like a secret, at the top level or one level down.
 */
export const REDACTED_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-api-key"]',
  'res.headers["set-cookie"]',
  ...['password', 'token', 'apiKey', 'api_key', 'secret', 'authorization', 'accessToken', 'access_token'].flatMap(
    (key) => [key, `*.${key}`],
  ),
];

/** pino options shared by every service: JSON lines, ISO time, secrets redacted. */
export function loggerOptions(level: string, service: string): LoggerOptions {
  return {
    level,
    base: { service },
    timestamp: () => `,"time":"${new Date().toISOString()}"`,
    redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
  };
}
