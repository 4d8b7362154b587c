import { Docker, dockerodeOptions } from '@atb/container-engine';
import type Dockerode from 'dockerode';
import {
  type ContainerDetails,
  type ContainerRuntime,
  type ContainerStats,
  type ContainerSummary,
  type EventSubscription,
  type EventSubscriptionOptions,
  type LogOptions,
  type OperationOptions,
  type RollbackImage,
  type RollbackResult,
  RuntimeNotFoundError,
  RuntimeOperationError,
  type RuntimeEvent,
  RuntimeUnavailableError,
} from './container-runtime.js';
import { followDockerEvents } from './docker-events.js';
import { demultiplexDockerLogs, lastLines } from './docker-log-stream.js';
import { recreateFromImage } from './docker-rollback.js';
import { computeContainerStats, type DockerStatsBody, hasPreviousCpuSample } from './docker-stats.js';

/** Docker's own rule for container names (ids match it too). Anything else cannot exist. */
const CONTAINER_NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,253}$/;

/** Connection-level failures: the engine is not there, or went away mid-request. */
const CONNECTION_ERRORS = new Set(['ENOENT', 'ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ECONNABORTED', 'EHOSTUNREACH', 'ETIMEDOUT', 'ENOTSOCK', 'EACCES']);

export interface DockerRuntimeOptions {
  /** `unix:///var/run/docker.sock`, `tcp://host:2375`, `http(s)://host:port` (the `DOCKER_HOST` forms). */
  dockerHost: string;
  /** Milliseconds between the two samples when the engine's one-shot stats carry no previous sample (Podman). Default 250. */
  statsSampleMilliseconds?: number;
  /**
   * Scope to one compose project (`GATEWAY_COMPOSE_PROJECT`): a target name is a compose service
   * name, resolved to the container labelled `com.docker.compose.project=<project>` and
   * `com.docker.compose.service=<name>`; containers outside the project are never found or listed.
   */
  composeProject?: string | undefined;
}

const COMPOSE_PROJECT_LABEL = 'com.docker.compose.project';
const COMPOSE_SERVICE_LABEL = 'com.docker.compose.service';

/**
 * The Docker Engine API through dockerode (Docker or Podman's compat API). It lists,
 * inspects, restarts, starts, stops, reads logs and stats, and rolls back (recreates a container
 * from its previous image with the same configuration): never exec, and never removes a
 * container except the one a rollback replaced.
 *
 * Errors: an unknown container → {@link RuntimeNotFoundError}; the engine unreachable or gone
 * mid-request → {@link RuntimeUnavailableError} naming `DOCKER_HOST`; any other engine error →
 * {@link RuntimeOperationError} with the engine's message; an aborted `signal` → `signal.reason`.
 *
 * @example
 * const runtime = new DockerRuntime({ dockerHost: 'unix:///run/podman/podman.sock' });
 * await runtime.restart('market-predictor', { timeoutSeconds: 10, signal: AbortSignal.timeout(30_000) });
 */
export class DockerRuntime implements ContainerRuntime {
  readonly kind = 'docker';
  readonly docker: Dockerode;
  private readonly endpoint: string;
  private readonly sampleMilliseconds: number;
  private readonly composeProject: string | undefined;

  constructor(options: DockerRuntimeOptions) {
    this.docker = new Docker(dockerodeOptions(options.dockerHost));
    this.endpoint = `DOCKER_HOST=${options.dockerHost}`;
    this.sampleMilliseconds = options.statsSampleMilliseconds ?? 250;
    this.composeProject = options.composeProject;
  }

  async list(options: OperationOptions = {}): Promise<ContainerSummary[]> {
    const project = this.composeProject;
    const filters = project ? { filters: { label: [`${COMPOSE_PROJECT_LABEL}=${project}`] } } : {};
    const containers = await this.call(undefined, options, () =>
      this.docker.listContainers({ all: true, ...filters, abortSignal: options.signal } as Dockerode.ContainerListOptions),
    );
    // The engine filtered already; checking again keeps an engine that ignores filters from widening the scope.
    const scoped = project ? containers.filter((container) => container.Labels?.[COMPOSE_PROJECT_LABEL] === project) : containers;
    return scoped.map((container) => ({
      id: container.Id,
      name: project
        ? (container.Labels?.[COMPOSE_SERVICE_LABEL] ?? container.Id)
        : (container.Names[0] ?? container.Id).replace(/^\//, ''),
      image: container.Image,
      state: container.State,
      status: container.Status,
      labels: container.Labels ?? {},
    }));
  }

  async inspect(name: string, options: OperationOptions = {}): Promise<ContainerDetails> {
    const details = await this.call(name, options, async () => (await this.container(name)).inspect({ abortSignal: options.signal }));
    const state = details.State;
    const result: ContainerDetails = {
      id: details.Id,
      name: this.composeProject ? name : details.Name.replace(/^\//, ''),
      image: details.Config.Image,
      state: state.Status,
      status: describeState(state),
      labels: details.Config.Labels ?? {},
      started_at: state.StartedAt,
      restart_count: details.RestartCount ?? 0,
    };
    if (state.Pid > 0) result.pid = state.Pid;
    if (!state.Running) result.exit_code = state.ExitCode;
    result.image_id = details.Image;
    result.oom_killed = state.OOMKilled === true;
    return result;
  }

  /** Recreates the container from an earlier image (docker-rollback.ts); by its name when that tag still points at the image, else by id. */
  async rollback(name: string, image: RollbackImage, options: OperationOptions = {}): Promise<RollbackResult> {
    return this.call(name, options, async () => {
      const tagged = await this.docker
        .getImage(image.image)
        .inspect()
        .then((info) => info.Id === image.image_id)
        .catch(() => false);
      const reference = tagged ? image.image : image.image_id;
      return recreateFromImage(this.docker, await this.container(name), reference, options);
    });
  }

  async restart(name: string, options: OperationOptions = {}): Promise<void> {
    await this.call(name, options, async () =>
      (await this.container(name)).restart({ t: options.timeoutSeconds ?? 10, abortSignal: options.signal }),
    );
  }

  async start(name: string, options: OperationOptions = {}): Promise<void> {
    await this.call(name, options, async () => (await this.container(name)).start({ abortSignal: options.signal }), [304]);
  }

  async stop(name: string, options: OperationOptions = {}): Promise<void> {
    await this.call(
      name,
      options,
      async () => (await this.container(name)).stop({ t: options.timeoutSeconds ?? 10, abortSignal: options.signal }),
      [304],
    );
  }

  async logs(name: string, logOptions: LogOptions, options: OperationOptions = {}): Promise<string[]> {
    const tail = Math.max(1, Math.min(5000, Math.trunc(logOptions.tail)));
    const details = await this.call(name, options, async () => (await this.container(name)).inspect({ abortSignal: options.signal }));
    const since = logOptions.since ? sinceSeconds(logOptions.since) : undefined;
    const body = await this.call(name, options, async () =>
      (await this.container(name)).logs({
        stdout: true,
        stderr: true,
        follow: false,
        tail,
        ...(since === undefined ? {} : { since }),
        abortSignal: options.signal,
      }),
    );
    const buffer = Buffer.isBuffer(body) ? body : Buffer.from(String(body));
    return lastLines(demultiplexDockerLogs(buffer, details.Config.Tty === true), tail);
  }

  async stats(name: string, options: OperationOptions = {}): Promise<ContainerStats> {
    const sample = () =>
      this.call(
        name,
        options,
        async () => {
          const request = { stream: false, abortSignal: options.signal } as { stream: false };
          return (await this.container(name)).stats(request) as Promise<DockerStatsBody>;
        },
      );
    const first = await sample();
    if (hasPreviousCpuSample(first)) return computeContainerStats(first);
    // Podman's one-shot stats carry no previous sample: take a second one and use the delta.
    await delay(this.sampleMilliseconds, options.signal);
    const second = await sample();
    return computeContainerStats(second, first);
  }

  /** The engine's `GET /events`, reconnecting after a restart of the engine (see `docker-events.ts`). */
  subscribe(listener: (event: RuntimeEvent) => void, options: EventSubscriptionOptions = {}): EventSubscription {
    return followDockerEvents(this.docker, this.endpoint, listener, options);
  }

  async ping(options: OperationOptions = {}): Promise<boolean> {
    const signal = options.signal ? AbortSignal.any([options.signal, AbortSignal.timeout(3000)]) : AbortSignal.timeout(3000);
    try {
      await (this.docker.ping as (options: { abortSignal: AbortSignal }) => Promise<unknown>).call(this.docker, {
        abortSignal: signal,
      });
      return true;
    } catch {
      return false;
    }
  }

  private async container(name: string): Promise<Dockerode.Container> {
    if (!CONTAINER_NAME.test(name)) throw new RuntimeNotFoundError(name);
    const project = this.composeProject;
    if (!project) return this.docker.getContainer(name);
    const matches = await this.docker.listContainers({
      all: true,
      filters: { label: [`${COMPOSE_PROJECT_LABEL}=${project}`, `${COMPOSE_SERVICE_LABEL}=${name}`] },
    });
    const match = matches.find(
      (container) => container.Labels?.[COMPOSE_PROJECT_LABEL] === project && container.Labels?.[COMPOSE_SERVICE_LABEL] === name,
    );
    if (!match) throw new RuntimeNotFoundError(name);
    return this.docker.getContainer(match.Id);
  }

  /** Runs one engine call and maps its failure; `tolerated` statuses (304 "already") count as success. */
  private async call<T>(
    name: string | undefined,
    options: OperationOptions,
    operation: () => Promise<T>,
    tolerated: number[] = [],
  ): Promise<T> {
    if (options.signal?.aborted) throw options.signal.reason;
    try {
      return await operation();
    } catch (error) {
      if (options.signal?.aborted) throw options.signal.reason;
      if (error instanceof RuntimeNotFoundError) throw error;
      const status = (error as { statusCode?: number }).statusCode;
      if (status !== undefined && tolerated.includes(status)) return undefined as T;
      if (status === 404 && name !== undefined) throw new RuntimeNotFoundError(name);
      if (status !== undefined) throw new RuntimeOperationError(`the engine answered ${status}: ${engineMessage(error)}`, status);
      const code = (error as { code?: string }).code;
      if ((code && CONNECTION_ERRORS.has(code)) || /socket hang up|ECONNRESET|connect/i.test(String(error))) {
        throw new RuntimeUnavailableError(this.endpoint, error instanceof Error ? error.message : String(error));
      }
      throw new RuntimeOperationError(`the engine call failed (${this.endpoint}): ${error instanceof Error ? error.message : String(error)}`);
    }
  }
}

function engineMessage(error: unknown): string {
  const json = (error as { json?: { message?: string } | string }).json;
  if (json && typeof json === 'object' && json.message) return json.message;
  if (typeof json === 'string' && json.trim()) return json.trim();
  return error instanceof Error ? error.message : String(error);
}

function describeState(state: Dockerode.ContainerInspectInfo['State']): string {
  if (state.Running) return `Up since ${state.StartedAt}`;
  if (state.Status === 'created') return 'Created';
  return `Exited (${state.ExitCode}) at ${state.FinishedAt}`;
}

function sinceSeconds(since: string): number {
  if (/^\d+$/.test(since)) return Number(since);
  const time = Date.parse(since);
  if (Number.isNaN(time)) throw new RuntimeOperationError(`since: expected an ISO date-time or UNIX seconds, received "${since}"`);
  return Math.floor(time / 1000);
}

function delay(milliseconds: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(resolve, milliseconds);
    signal?.addEventListener(
      'abort',
      () => {
        clearTimeout(timer);
        reject(signal.reason);
      },
      { once: true },
    );
  });
}
