import { resolveApiToken as resolveServiceToken, type ResolvedToken } from '@atb/service-kit';

export { createBearerCheck, MissingTokenError, type ResolvedToken, TOKEN_FILE_NAME, tokenPrincipal } from '@atb/service-kit';

/**
 * The bearer token of the agent's API (the same scheme as the command gateway): AGENT_API_TOKEN
 * when set; in production, nothing else (refuses to start); otherwise the token in
 * `<DATA_DIR>/api-token`, generated at first start with 0600 permissions and read back afterwards,
 * where `atb approve|reject` find it.
 */
export function resolveApiToken(options: { configured: string | undefined; environment: string; dataDirectory: string }): ResolvedToken {
  return resolveServiceToken({ ...options, variable: 'AGENT_API_TOKEN', what: 'approvals and controls have' });
}
