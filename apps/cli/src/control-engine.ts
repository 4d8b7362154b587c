import { request as httpRequest } from 'node:http';
import { join } from 'node:path';
import {
  connectEngine,
  type EngineConnection,
  type PodmanEngine,
  probePodman,
  socketAnswers,
  startPodman,
} from '@atb/container-engine';

/** What `atb up --runtime` accepts. */
export const RUNTIME_CHOICES = ['auto', 'docker', 'process'] as const;
export type RuntimeChoice = (typeof RUNTIME_CHOICES)[number];

/** Engine sockets tried, in order, when `DOCKER_HOST` is not set. */
export const DEFAULT_DOCKER_HOSTS = ['unix:///var/run/docker.sock', 'unix:///run/podman/podman.sock'];

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
  for (const candidate of candidates) {
    if (await engineAnswers(candidate)) {
      return { kind: 'docker', engine: connectEngine(candidate), reason: `DOCKER_HOST=${candidate} answers` };
    }
  }
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

/** Whether a Docker Engine API answers `GET /_ping` at this `DOCKER_HOST` within 2 s. */
export async function engineAnswers(dockerHost: string): Promise<boolean> {
  if (dockerHost.startsWith('unix://')) return socketAnswers(dockerHost.slice('unix://'.length));
  const match = /^(?:tcp|http):\/\/([^:/]+)(?::(\d+))?\/?$/.exec(dockerHost);
  if (!match) return false;
  return new Promise((resolve) => {
    const request = httpRequest({ host: match[1], port: Number(match[2] ?? 2375), path: '/_ping', timeout: 2000 }, (response) => {
      response.resume();
      resolve(response.statusCode === 200);
    });
    request.on('timeout', () => request.destroy());
    request.on('error', () => resolve(false));
    request.end();
  });
}
