export * from './docker-host.js';
export * from './podman.js';
export { Docker } from './dockerode.js';
