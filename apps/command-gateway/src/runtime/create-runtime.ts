import { DEFAULT_DOCKER_HOSTS, firstAnsweringDockerHost } from '@atb/container-engine';
import type { ContainerRuntime } from './container-runtime.js';
import { DockerRuntime } from './docker-runtime.js';
import { ProcessRuntime } from './process-runtime.js';
import type { RuntimeConfig } from './runtime-config.js';

export interface CreateRuntimeOptions {
  /** Printed by `atb up` when the gateway restarts a process; default `command-gateway`. */
  actor?: string;
  /** Candidates when `DOCKER_HOST` is unset (tests point these elsewhere). */
  defaultDockerHosts?: readonly string[];
}

/**
 * Chooses the runtime from the config: `docker` → the Docker Engine API at `DOCKER_HOST` (or the
 * first default socket that answers); `process` → `atb up`'s control API; `auto` → `docker` when
 * `DOCKER_HOST` is set or a default socket answers, `process` otherwise.
 *
 * @example
 * const runtime = await createRuntime(config); // config spreads runtimeConfigShape
 * service.log.info({ runtime: runtime.kind }, 'container runtime');
 */
export async function createRuntime(config: RuntimeConfig, options: CreateRuntimeOptions = {}): Promise<ContainerRuntime> {
  const candidates = options.defaultDockerHosts ?? DEFAULT_DOCKER_HOSTS;
  if (config.GATEWAY_RUNTIME === 'process') return processRuntime(config, options);
  const composeProject = config.GATEWAY_COMPOSE_PROJECT;
  if (config.DOCKER_HOST) return new DockerRuntime({ dockerHost: config.DOCKER_HOST, composeProject });
  const answering = await firstAnsweringDockerHost(candidates, { timeoutMs: 1500 });
  if (answering) return new DockerRuntime({ dockerHost: answering, composeProject });
  if (config.GATEWAY_RUNTIME === 'docker') {
    // Explicitly asked for: use the first default, whose errors will say it does not answer.
    return new DockerRuntime({ dockerHost: candidates[0] ?? DEFAULT_DOCKER_HOSTS[0]!, composeProject });
  }
  return processRuntime(config, options);
}

function processRuntime(config: RuntimeConfig, options: CreateRuntimeOptions): ProcessRuntime {
  return new ProcessRuntime({ controlFile: config.ATB_CONTROL_FILE, ...(options.actor ? { actor: options.actor } : {}) });
}
