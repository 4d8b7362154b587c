export * from './alertmanager.js';
export * from './analysis.js';
export * from './container-events.js';
export * from './gateway.js';
export * from './services.js';
