import { AuthenticationError, type App } from '@atb/service-kit';
import { createBearerCheck } from './api-token.js';

/** Routes that answer without a token: probes, scrapes and the API documentation. */
const OPEN_PREFIXES = ['/health', '/status', '/metrics', '/docs'];

/**
 * Requires `Authorization: Bearer <token>` on every route except the open ones, before the
 * body is even read (so a bad token is 401, never 413 or 422).
 */
export function requireBearerToken(app: App, token: string): void {
  const check = createBearerCheck(token);
  app.addHook('onRequest', async (request) => {
    const path = request.url.split('?')[0] ?? '';
    if (OPEN_PREFIXES.some((prefix) => path === prefix || path.startsWith(`${prefix}/`))) return;
    if (!check(request.headers.authorization)) {
      throw new AuthenticationError(
        request.headers.authorization ? 'invalid bearer token' : 'missing bearer token: send Authorization: Bearer <token>',
        { field: 'headers.authorization' },
      );
    }
  });
}
