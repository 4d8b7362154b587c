export * from './components.js';
export * from './postgres.js';
