export * from './alertmanager.js';
export * from './components.js';
export * from './fake-github-server.js';
export * from './podman.js';
export * from './postgres.js';
export * from './scripted-openai-server.js';
