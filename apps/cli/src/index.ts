export * from './program.js';
export * from './supervisor.js';
