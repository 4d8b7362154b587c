import { type Principal, type Role, Sessions, type TokenAuthenticator } from '@atb/service-kit';
import { type Database, KyselySessionStore } from '@atb/storage';
import { DashboardAuth } from '../auth/dashboard-auth.js';
import type { Config } from '../config.js';

/** Whether reading the dashboard needs sign-in: DASHBOARD_SIGN_IN_REQUIRED, else in production or with AGENT_API_READ_AUTH. */
export function dashboardSignInRequired(config: Config): boolean {
  return config.DASHBOARD_SIGN_IN_REQUIRED ?? (config.ENVIRONMENT === 'production' || config.AGENT_API_READ_AUTH);
}

/** The dashboard's sign-in: sessions in the agent's database, the API's token check, and the trusted proxy when configured. */
export async function openDashboardAuth(
  config: Config,
  database: Database<unknown>,
  tokens: { authenticate: TokenAuthenticator; tokenLive: (principal: Principal) => Promise<boolean> },
): Promise<DashboardAuth> {
  const sessions = new Sessions(await KyselySessionStore.open(database), { ttlSeconds: config.DASHBOARD_SESSION_TTL });
  const roles = new Map(config.DASHBOARD_PROXY_ROLES.map((entry) => entry.split('=') as [string, Role]));
  const proxy = config.DASHBOARD_PROXY_USER_HEADER
    ? { header: config.DASHBOARD_PROXY_USER_HEADER, trustedAddresses: config.DASHBOARD_TRUSTED_PROXIES, roles, defaultRole: config.DASHBOARD_PROXY_DEFAULT_ROLE }
    : undefined;
  return new DashboardAuth(sessions, tokens.authenticate, { ttlSeconds: config.DASHBOARD_SESSION_TTL, tokenLive: tokens.tokenLive, ...(proxy ? { proxy } : {}) });
}
