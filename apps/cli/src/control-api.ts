/**
 * The supervisor and its control API, importable without the rest of the CLI
 * (`@atb/cli/control`): the command-gateway's process-runtime tests start a real one.
 */
export * from './control-server.js';
export * from './supervisor.js';
