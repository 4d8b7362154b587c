import { join } from 'node:path';
import {
  connectEngine,
  DEFAULT_DOCKER_HOSTS,
  type EngineConnection,
  firstAnsweringDockerHost,
  type PodmanEngine,
  probePodman,
  startPodman,
} from '@atb/container-engine';

/** What `atb up --runtime` accepts. */
export const RUNTIME_CHOICES = ['auto', 'docker', 'process'] as const;
export type RuntimeChoice = (typeof RUNTIME_CHOICES)[number];

export type ChosenRuntime =
  | {
      kind: 'docker';
      engine: EngineConnection;
      /** Set when `atb up` started Podman itself (`--runtime docker`); stop it on exit. */
      started?: PodmanEngine;
      reason: string;
    }
  | { kind: 'process'; reason: string };

/**
 * Where `atb up` gets a container engine: `DOCKER_HOST` if set, else the first default socket
 * that answers. `auto` falls back to the process runtime when nothing answers; `docker` then
 * starts Podman's Docker API service itself (runc and cgroupfs: crun fails on hybrid cgroup hosts) in `<dataDirectory>/podman` (`ATB_DATA_DIR`)
 * if Podman is installed, and fails otherwise; `process` never looks for an engine.
 */
export async function chooseRuntime(choice: RuntimeChoice, dockerHost: string | undefined, dataDirectory: string): Promise<ChosenRuntime> {
  if (choice === 'process') return { kind: 'process', reason: '--runtime process' };
  const candidates = dockerHost ? [dockerHost] : DEFAULT_DOCKER_HOSTS;
  const answering = await firstAnsweringDockerHost(candidates);
  if (answering) return { kind: 'docker', engine: connectEngine(answering), reason: `DOCKER_HOST=${answering} answers` };
  const tried = candidates.join(', ');
  if (choice === 'auto') return { kind: 'process', reason: `no container engine answers (tried ${tried})` };
  if (dockerHost) throw new Error(`--runtime docker: DOCKER_HOST=${dockerHost} does not answer; start that engine or unset DOCKER_HOST`);
  const podmanMissing = await probePodman();
  if (podmanMissing) {
    throw new Error(
      `--runtime docker: no engine answers (tried ${tried}) and Podman cannot be started (${podmanMissing}); install it: bash scripts/install-system-deps.sh`,
    );
  }
  const started = await startPodman({ directory: join(dataDirectory, 'podman'), idleTimeoutSeconds: 0 });
  return { kind: 'docker', engine: started, started, reason: `started Podman's Docker API at DOCKER_HOST=${started.dockerHost}` };
}
