import type { FastifyRequest } from 'fastify';
import { createBearerCheck, tokenPrincipal } from './api-token.js';
import { AuthenticationError } from './errors.js';
import type { App } from './server.js';

declare module 'fastify' {
  interface FastifyRequest {
    /**
     * Who the request authenticated as (`token:<sha256 prefix>`, see `tokenPrincipal`), set by
     * {@link requireBearerToken} when the request carried the right token; `undefined` otherwise.
     */
    principal: string | undefined;
  }
}

/** Routes that answer without a token: probes, scrapes and the API documentation. */
export const OPEN_ROUTE_PREFIXES: readonly string[] = ['/health', '/status', '/metrics', '/docs'];

/** Whether a path (or route pattern) is one of the {@link OPEN_ROUTE_PREFIXES} or below one. */
export function isOpenRoute(path: string): boolean {
  return OPEN_ROUTE_PREFIXES.some((prefix) => path === prefix || path.startsWith(`${prefix}/`));
}

export interface BearerAuthOptions {
  /** The one token accepted (compared in constant time). */
  token: string;
  /**
   * Whether this request needs the token. Default: every request, to any path (even one with no
   * route, so probing for routes needs the token too), except the {@link OPEN_ROUTE_PREFIXES}.
   */
  requires?: (request: FastifyRequest) => boolean;
}

/**
 * Requires `Authorization: Bearer <token>` on the requests `requires` selects, in an `onRequest`
 * hook: before the body is even read, so a bad token is 401 (an `AuthenticationError` naming the
 * `headers.authorization` field), never 413 or 422, and the handler never runs. A request with the
 * right token gets `request.principal` (the token's principal), also on routes that need none.
 *
 * @example
 * requireBearerToken(service.app, { token: resolved.token });
 * service.app.post('/things', async (request) => ({ created_by: request.principal }));
 */
export function requireBearerToken(app: App, options: BearerAuthOptions): void {
  const check = createBearerCheck(options.token);
  const principal = tokenPrincipal(options.token);
  const requires = options.requires ?? ((request: FastifyRequest) => !isOpenRoute(request.url.split('?')[0] ?? ''));
  app.decorateRequest('principal', undefined);
  app.addHook('onRequest', async (request) => {
    const authorization = request.headers.authorization;
    if (check(authorization)) {
      request.principal = principal;
      return;
    }
    if (!requires(request)) return;
    throw new AuthenticationError(authorization ? 'invalid bearer token' : 'missing bearer token: send Authorization: Bearer <token>', {
      field: 'headers.authorization',
    });
  });
}
