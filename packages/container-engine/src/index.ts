export * from './docker-host.js';
export * from './podman.js';
