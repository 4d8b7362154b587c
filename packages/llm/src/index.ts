export * from './config.js';
export * from './provider.js';
