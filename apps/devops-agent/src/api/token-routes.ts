import { ApiTokens, type App, BOOTSTRAP_PRINCIPAL_ID, createTokenAuthenticator, type Principal, registerTokenRoutes, type TokenAuthenticator } from '@atb/service-kit';
import { type Database, KyselyTokenStore } from '@atb/storage';
import { type ProtectedRouteOptions, protectAgentRoutes } from '../auth/protected-routes.js';

/**
 * The agent's authentication: its API token (the bootstrap admin) and per-principal tokens kept
 * hashed in the agent's database, on the routes `protectAgentRoutes` guards; and the token
 * administration routes (`POST /tokens`, `GET /tokens`, `DELETE /tokens/:reference`, admin only).
 * Returns the same token check for the dashboard's sign-in form, and whether a signed-in
 * principal's token still authenticates (a revoked or expired token ends its sessions).
 */
export async function registerAgentAuthentication(
  app: App,
  database: Database<unknown>,
  token: string,
  options: ProtectedRouteOptions = {},
): Promise<{ authenticate: TokenAuthenticator; tokenLive: (principal: Principal) => Promise<boolean> }> {
  const tokens = new ApiTokens(await KyselyTokenStore.open(database));
  protectAgentRoutes(app, token, { ...options, tokens });
  registerTokenRoutes(app, tokens);
  const tokenLive = async (principal: Principal): Promise<boolean> => {
    if (principal.id === BOOTSTRAP_PRINCIPAL_ID) return true;
    const stored = await tokens.store.find(principal.id);
    return stored !== undefined && stored.revoked_at === null && (stored.expires_at === null || Date.parse(stored.expires_at) > Date.now());
  };
  return { authenticate: createTokenAuthenticator({ token, tokens }), tokenLive };
}
