import { resolveApiToken as resolveServiceToken, type ResolvedToken } from '@atb/service-kit';

export { createBearerCheck, MissingTokenError, type ResolvedToken, TOKEN_FILE_NAME } from '@atb/service-kit';

/**
 * The bearer token the gateway accepts: AI_COMMAND_GATEWAY_TOKEN when set; in production,
 * nothing else (refuses to start); in development and test, the token in `<DATA_DIR>/api-token`,
 * generated at first start with 0600 permissions, where `atb` and the devops agent read it.
 */
export function resolveApiToken(options: { configured: string | undefined; environment: string; dataDirectory: string }): ResolvedToken {
  return resolveServiceToken({ ...options, variable: 'AI_COMMAND_GATEWAY_TOKEN', what: 'the gateway has' });
}
