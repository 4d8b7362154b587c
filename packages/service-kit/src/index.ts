export * from './api-token.js';
export * from './config.js';
export * from './error-handler.js';
export * from './errors.js';
export * from './logger.js';
export * from './metrics.js';
export * from './run.js';
export * from './server.js';
export type { ZodTypeProvider } from 'fastify-type-provider-zod';
