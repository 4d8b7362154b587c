import { type ApiTokens, type App, assertRole, isOpenRoute, requireBearerToken } from '@atb/service-kit';

/** Methods that never change anything. */
const READ_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** State-changing routes with their own credentials (Alertmanager's WEBHOOK_* settings). */
const OWN_CREDENTIALS = new Set(['/webhook/alerts']);

export interface ProtectedRouteOptions {
  /** Also require the token on read routes (AGENT_API_READ_AUTH), except probes, scrapes and docs. */
  reads?: boolean;
  /** Per-principal tokens accepted besides the agent's own API token. */
  tokens?: ApiTokens;
}

/** The dashboard signs its users in with sessions (`auth/dashboard-auth.ts`): its pages, forms and assets take no bearer token. */
export const isDashboardRoute = (route: string): boolean => route === '/dashboard' || route.startsWith('/dashboard/');

/** Whether a request to this route (its pattern, e.g. `/actions/:id/approve`) needs the token. */
export function requiresToken(method: string, route: string, options: ProtectedRouteOptions = {}): boolean {
  if (OWN_CREDENTIALS.has(route) || isDashboardRoute(route)) return false;
  if (!READ_METHODS.has(method.toUpperCase())) return true;
  if (!options.reads) return false;
  return !isOpenRoute(route);
}

/**
 * The agent's API token, or a principal's (service-kit's bearer hook), on every state-changing route (approve,
 * reject, monitoring controls, and any added later) except the Alertmanager webhook and the
 * dashboard (sessions, with a CSRF token on every form); with
 * `reads`, on read routes too. A path with no route answers 404 without asking for the token.
 * State-changing routes also need the `operator` role (403 `forbidden` for a viewer).
 */
export function protectAgentRoutes(app: App, token: string, options: ProtectedRouteOptions = {}): void {
  requireBearerToken(app, {
    token,
    ...(options.tokens ? { tokens: options.tokens } : {}),
    requires: (request) => {
      const route = request.routeOptions.url;
      return route !== undefined && requiresToken(request.method, route, options);
    },
  });
  // Changing anything (approve, reject, monitoring controls) takes the operator role: a viewer's token reads only.
  app.addHook('onRequest', async (request) => {
    const route = request.routeOptions.url;
    if (route === undefined || READ_METHODS.has(request.method.toUpperCase()) || OWN_CREDENTIALS.has(route) || isDashboardRoute(route)) return;
    assertRole(request, 'operator');
  });
}
