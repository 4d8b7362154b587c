import { AuthenticationError, type App } from '@atb/service-kit';
import { createBearerCheck } from './api-token.js';

/** Methods that never change anything. */
const READ_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** State-changing routes with their own credentials (Alertmanager's WEBHOOK_* settings). */
const OWN_CREDENTIALS = new Set(['/webhook/alerts']);

/** Routes that answer without a token even when reads need one: probes, scrapes and the API documentation. */
const OPEN_PREFIXES = ['/health', '/status', '/metrics', '/docs'];

export interface BearerOptions {
  /** Also require the token on read routes (AGENT_API_READ_AUTH), except the open ones. */
  reads?: boolean;
}

/** Whether a request to this route (its pattern, e.g. `/actions/:id/approve`) needs the token. */
export function requiresToken(method: string, route: string, options: BearerOptions = {}): boolean {
  if (OWN_CREDENTIALS.has(route)) return false;
  if (!READ_METHODS.has(method.toUpperCase())) return true;
  if (!options.reads) return false;
  return !OPEN_PREFIXES.some((prefix) => route === prefix || route.startsWith(`${prefix}/`));
}

/**
 * Requires `Authorization: Bearer <token>` on every state-changing route of the agent (approve,
 * reject, monitoring controls, and any added later) except the Alertmanager webhook; with
 * `reads`, on read routes too. Checked when the request arrives, before the body is read, so a
 * bad token is 401 (naming the `authorization` header) and nothing happens.
 */
export function requireBearerToken(app: App, token: string, options: BearerOptions = {}): void {
  const check = createBearerCheck(token);
  app.addHook('onRequest', async (request) => {
    const route = request.routeOptions.url;
    if (route === undefined || !requiresToken(request.method, route, options)) return;
    if (!check(request.headers.authorization)) {
      throw new AuthenticationError(
        request.headers.authorization ? 'invalid bearer token' : 'missing bearer token: send Authorization: Bearer <token>',
        { field: 'headers.authorization' },
      );
    }
  });
}
