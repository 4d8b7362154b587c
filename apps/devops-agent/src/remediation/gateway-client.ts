/**
 * The agent talks to the command gateway only through the one gateway client of
 * `@atb/clients` (bearer token, timeout, retries with backoff, one idempotency key for every
 * attempt, answers parsed with the shared contract). Re-exported here for the agent's modules.
 */
export { type GatewayClientOptions, type GatewayCommand, GatewayClient, type GatewayResult, tokenFromFile } from '@atb/clients';
