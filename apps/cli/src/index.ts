export * from './commands/gateway.js';
export * from './program.js';
export * from './supervisor.js';
export * from './drill/drill-faults.js';
export * from './drill/incident-watcher.js';
export * from './drill/run-drill.js';
