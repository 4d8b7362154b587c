/**
 * The part of the LLM package a service needs before (or without) a model: the settings and
 * the usage store, routes and metrics. It loads no provider SDK, so a service with
 * `LLM_PROVIDER=none` starts without paying for them; the model code comes from the package's
 * main entry when one is configured.
 */
export * from './config.js';
export * from './usage-routes.js';
export * from './usage-store.js';
