import { ApiTokens, type App, registerTokenRoutes } from '@atb/service-kit';
import { type Database, KyselyTokenStore } from '@atb/storage';
import { type ProtectedRouteOptions, protectAgentRoutes } from '../auth/protected-routes.js';

/**
 * The agent's authentication: its API token (the bootstrap admin) and per-principal tokens kept
 * hashed in the agent's database, on the routes `protectAgentRoutes` guards; and the token
 * administration routes (`POST /tokens`, `GET /tokens`, `DELETE /tokens/:reference`, admin only).
 */
export async function registerAgentAuthentication(app: App, database: Database<unknown>, token: string, options: ProtectedRouteOptions = {}): Promise<void> {
  const tokens = new ApiTokens(await KyselyTokenStore.open(database));
  protectAgentRoutes(app, token, { ...options, tokens });
  registerTokenRoutes(app, tokens);
}
