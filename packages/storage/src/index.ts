export * from './audit-log.js';
export * from './audit-key.js';
export * from './canonical-json.js';
export * from './database.js';
export * from './kysely-audit-log.js';
export * from './migrations.js';
export * from './kysely-token-store.js';
export * from './kysely-session-store.js';
