export * from './components.js';
export * from './postgres.js';
export * from './scripted-openai-server.js';
