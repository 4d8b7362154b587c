export * from './app.js';
export * from './config.js';
export type { AgentStore } from './store/agent-store.js';
export { KyselyAgentStore } from './store/kysely-agent-store.js';
