import { dockerHostSchema } from '@atb/container-engine';
import { z } from 'zod';

export const RUNTIME_KINDS = ['auto', 'docker', 'process'] as const;

/**
 * The runtime settings; spread into the gateway's config schema:
 * `z.object({ ...baseConfigShape(…), ...runtimeConfigShape, … })`.
 */
export const runtimeConfigShape = {
  /**
   * `docker` (the Docker Engine API at `DOCKER_HOST`), `process` (the processes `atb up`
   * supervises, through its control API) or `auto` (default): `docker` when `DOCKER_HOST` is set
   * or a default engine socket answers, `process` otherwise.
   */
  GATEWAY_RUNTIME: z.enum(RUNTIME_KINDS, { error: `expected one of ${RUNTIME_KINDS.join(', ')}` }).default('auto'),
  /**
   * The engine: `unix:///path.sock`, `tcp://host:port` or `http(s)://host:port` (validated by
   * `@atb/container-engine`'s parser). Default: the first of `DEFAULT_DOCKER_HOSTS`
   * (/var/run/docker.sock, /run/podman/podman.sock) that answers.
   */
  DOCKER_HOST: dockerHostSchema.optional(),
  /**
   * With the Docker runtime, act only inside this compose project: target names are its compose
   * service names, matched by the `com.docker.compose.project` / `com.docker.compose.service`
   * labels, and no other container on the engine can be found or listed. Default: unset (names
   * are container names; the allowlist alone decides).
   */
  GATEWAY_COMPOSE_PROJECT: z
    .string()
    .regex(/^[a-z0-9][a-z0-9_-]*$/, 'expected a compose project name (lowercase letters, digits, "-" and "_")')
    .optional(),
  /** The control file `atb up` writes for the process runtime; default `.data/atb/control.json`. */
  ATB_CONTROL_FILE: z.string().min(1).default('.data/atb/control.json'),
};

export interface RuntimeConfig {
  GATEWAY_RUNTIME: (typeof RUNTIME_KINDS)[number];
  DOCKER_HOST?: string | undefined;
  GATEWAY_COMPOSE_PROJECT?: string | undefined;
  ATB_CONTROL_FILE: string;
}
