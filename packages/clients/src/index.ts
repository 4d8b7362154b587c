export * from './client-errors.js';
export * from './coding-agent-client.js';
export * from './devops-agent-client.js';
export * from './gateway-client.js';
export * from './json-client.js';
export * from './predictor-client.js';
export * from './sse.js';
