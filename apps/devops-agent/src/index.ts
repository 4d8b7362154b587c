export * from './app.js';
export * from './config.js';
export type { AgentStore } from './store/agent-store.js';
export { openAgentStore } from './store/kysely-agent-store.js';
