import type { FastifyRequest } from 'fastify';
import { createBearerCheck, tokenPrincipal } from './api-token.js';
import type { ApiTokens, TokenRefusal } from './api-tokens.js';
import { AuthenticationError } from './errors.js';
import { BOOTSTRAP_PRINCIPAL_ID, type Principal } from './principals.js';
import type { App } from './server.js';

declare module 'fastify' {
  interface FastifyRequest {
    /**
     * Who the request authenticated as, set by {@link requireBearerToken} when the request carried
     * a valid token; `undefined` otherwise.
     */
    principal: Principal | undefined;
  }
}

/** Routes that answer without a token: probes, scrapes and the API documentation. */
export const OPEN_ROUTE_PREFIXES: readonly string[] = ['/health', '/status', '/metrics', '/docs'];

/** Whether a path (or route pattern) is one of the {@link OPEN_ROUTE_PREFIXES} or below one. */
export function isOpenRoute(path: string): boolean {
  return OPEN_ROUTE_PREFIXES.some((prefix) => path === prefix || path.startsWith(`${prefix}/`));
}

export interface BearerAuthOptions {
  /**
   * The service's configured (or generated) token, compared in constant time: the bootstrap
   * `admin` principal, named `token:<sha256 prefix>` (see `tokenPrincipal`).
   */
  token: string;
  /** Per-principal tokens (`atb_…`), checked when the bootstrap token does not match. */
  tokens?: ApiTokens;
  /**
   * Whether this request needs the token. Default: every request, to any path (even one with no
   * route, so probing for routes needs the token too), except the {@link OPEN_ROUTE_PREFIXES}.
   */
  requires?: (request: FastifyRequest) => boolean;
}

const REFUSALS: Record<TokenRefusal, string> = {
  malformed: 'invalid bearer token',
  unknown: 'invalid bearer token',
  revoked: 'the bearer token was revoked',
  expired: 'the bearer token has expired',
};

/** The principal behind a service's single configured token: an `admin` person. */
export function bootstrapPrincipal(token: string): Principal {
  return { id: BOOTSTRAP_PRINCIPAL_ID, name: tokenPrincipal(token), kind: 'person', role: 'admin' };
}

/**
 * Requires `Authorization: Bearer <token>` on the requests `requires` selects, in an `onRequest`
 * hook: before the body is even read, so a bad, revoked or expired token is 401 (an
 * `AuthenticationError` naming the `headers.authorization` field), never 413 or 422, and the
 * handler never runs. A request with a valid token gets `request.principal`, also on routes that
 * need none: the bootstrap `admin` for the configured token, else the principal of its
 * per-principal token (`options.tokens`). Check roles with `requireRole` / `assertRole`.
 *
 * @example
 * requireBearerToken(service.app, { token: resolved.token, tokens: new ApiTokens(store) });
 * service.app.post('/things', { preHandler: requireRole('operator') }, async (request) => ({ created_by: request.principal?.name }));
 */
export function requireBearerToken(app: App, options: BearerAuthOptions): void {
  const authenticate = createTokenAuthenticator(options);
  const requires = options.requires ?? ((request: FastifyRequest) => !isOpenRoute(request.url.split('?')[0] ?? ''));
  app.decorateRequest('principal', undefined);
  app.addHook('onRequest', async (request) => {
    const authorization = request.headers.authorization;
    const presented = typeof authorization === 'string' ? /^Bearer\s+(\S+)\s*$/i.exec(authorization)?.[1] : undefined;
    const authentication = presented ? await authenticate(presented) : { ok: false as const, refusal: 'unknown' as const };
    if (authentication.ok) {
      request.principal = authentication.principal;
      return;
    }
    if (!requires(request)) return;
    throw new AuthenticationError(authorization ? REFUSALS[authentication.refusal] : 'missing bearer token: send Authorization: Bearer <token>', {
      field: 'headers.authorization',
    });
  });
}

/** The principal a presented token (the bare token, no `Bearer `) stands for, or why it is refused. */
export type TokenAuthenticator = (presented: string) => Promise<{ ok: true; principal: Principal } | { ok: false; refusal: TokenRefusal }>;

/**
 * Checks a presented token the way {@link requireBearerToken} does: the service's configured
 * token (constant time) is the bootstrap `admin`; else a per-principal token, refused when
 * unknown, revoked or expired. The dashboard's sign-in form uses the same check.
 */
export function createTokenAuthenticator(options: Pick<BearerAuthOptions, 'token' | 'tokens'>): TokenAuthenticator {
  const check = createBearerCheck(options.token);
  const bootstrap = bootstrapPrincipal(options.token);
  return async (presented) => {
    if (check(`Bearer ${presented}`)) return { ok: true, principal: bootstrap };
    if (!options.tokens) return { ok: false, refusal: 'unknown' };
    const authentication = await options.tokens.authenticate(presented);
    return authentication.ok ? { ok: true, principal: authentication.principal } : { ok: false, refusal: authentication.refusal };
  };
}
