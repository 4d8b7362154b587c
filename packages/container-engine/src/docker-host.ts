import type Dockerode from 'dockerode';
import { z } from 'zod';
import { Docker } from './dockerode.js';

/** Where a Docker Engine API (Docker or Podman) listens, parsed from a `DOCKER_HOST` value. */
export type DockerHost =
  | { kind: 'unix'; value: string; socketPath: string }
  | { kind: 'tcp'; value: string; protocol: 'http' | 'https'; host: string; port: number };

/** The forms {@link parseDockerHost} accepts, as error messages name them. */
export const DOCKER_HOST_FORMS = 'unix:///path/to.sock, tcp://host:port or http(s)://host:port';

/** Engines tried, in order, when `DOCKER_HOST` is not set: Docker's socket, then rootful Podman's. */
export const DEFAULT_DOCKER_HOSTS: readonly string[] = ['unix:///var/run/docker.sock', 'unix:///run/podman/podman.sock'];

/** Default ports when a `tcp://` or `http(s)://` value names none (Docker's own defaults). */
const DEFAULT_PORTS = { http: 2375, https: 2376 } as const;

const NETWORK_FORM = /^(tcp|http|https):\/\/(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?)(?::(\d+))?\/?$/;

/** Thrown by {@link parseDockerHost}; the message names the variable, what it expects and what it got. */
export class DockerHostError extends Error {
  readonly code = 'invalid_docker_host';
  constructor(
    readonly variable: string,
    readonly problem: string,
    readonly received: string,
  ) {
    super(`${variable}: ${problem}; expected ${DOCKER_HOST_FORMS}, received ${JSON.stringify(received)}`);
    this.name = 'DockerHostError';
  }
}

/**
 * Parses a `DOCKER_HOST` value without throwing: the result, or what is wrong with it (without
 * the variable's name, for a config schema to attach to its own field).
 */
export function safeParseDockerHost(value: string): { ok: true; value: DockerHost } | { ok: false; error: string } {
  if (value.length === 0) return { ok: false, error: 'is empty' };
  if (/\s/.test(value)) return { ok: false, error: 'contains whitespace' };
  if (value.startsWith('unix://')) {
    const socketPath = value.slice('unix://'.length);
    if (!socketPath.startsWith('/') || socketPath.length === 1) {
      return { ok: false, error: 'unix:// needs an absolute socket path (three slashes, as in unix:///var/run/docker.sock)' };
    }
    return { ok: true, value: { kind: 'unix', value, socketPath } };
  }
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(value)?.[1]?.toLowerCase();
  if (scheme === undefined) return { ok: false, error: 'has no scheme' };
  if (!['tcp', 'http', 'https'].includes(scheme)) return { ok: false, error: `the scheme ${scheme}:// is not supported` };
  const rest = value.slice(scheme.length + 3);
  if (rest.includes('@')) return { ok: false, error: 'must not carry credentials (user@)' };
  if (/[?#]/.test(rest) || /\/./.test(rest)) return { ok: false, error: 'must not have a path, query or fragment' };
  const match = NETWORK_FORM.exec(value);
  if (!match) return { ok: false, error: `${scheme}:// needs a host name or address, and an optional numeric port` };
  const [, , host = '', portText] = match;
  const protocol = scheme === 'https' ? 'https' : 'http';
  const port = portText === undefined ? DEFAULT_PORTS[protocol] : Number(portText);
  if (!Number.isInteger(port) || port < 1 || port > 65_535) return { ok: false, error: `port ${portText} is outside 1..65535` };
  return { ok: true, value: { kind: 'tcp', value, protocol, host: host.replace(/^\[(.*)\]$/, '$1'), port } };
}

/**
 * Parses a `DOCKER_HOST` value (`unix:///path`, `tcp://host:port`, `http(s)://host:port`; a missing
 * port is 2375, or 2376 for https); throws a {@link DockerHostError} naming `variable` otherwise.
 *
 * @example
 * parseDockerHost('tcp://127.0.0.1:2375'); // { kind: 'tcp', protocol: 'http', host: '127.0.0.1', port: 2375, … }
 * parseDockerHost('unix://docker.sock');   // throws: DOCKER_HOST: unix:// needs an absolute socket path …
 */
export function parseDockerHost(value: string, variable = 'DOCKER_HOST'): DockerHost {
  const result = safeParseDockerHost(value);
  if (!result.ok) throw new DockerHostError(variable, result.error, value);
  return result.value;
}

/** dockerode connection options for a `DOCKER_HOST` value (parsed with {@link parseDockerHost}). */
export function dockerodeOptions(dockerHost: string | DockerHost, variable = 'DOCKER_HOST'): Dockerode.DockerOptions {
  const parsed = typeof dockerHost === 'string' ? parseDockerHost(dockerHost, variable) : dockerHost;
  if (parsed.kind === 'unix') return { socketPath: parsed.socketPath };
  return { host: parsed.host, port: parsed.port, protocol: parsed.protocol };
}

/** Any Docker Engine API (Docker or Podman): what the image and container helpers need. */
export interface EngineConnection {
  dockerHost: string;
  docker: Dockerode;
}

/**
 * A dockerode client for a `DOCKER_HOST` value, e.g. an engine `atb up` found rather than
 * started; a malformed value throws a {@link DockerHostError}.
 */
export function connectEngine(dockerHost: string, variable = 'DOCKER_HOST'): EngineConnection {
  return { dockerHost, docker: new Docker(dockerodeOptions(dockerHost, variable)) };
}

/** Whether a Docker Engine API answers `GET /_ping` at this `DOCKER_HOST` in time (a malformed value does not). */
export async function engineAnswers(dockerHost: string, options: { timeoutMs?: number } = {}): Promise<boolean> {
  const parsed = safeParseDockerHost(dockerHost);
  if (!parsed.ok) return false;
  const docker = new Docker(dockerodeOptions(parsed.value));
  try {
    const ping = docker.ping as (options: { abortSignal: AbortSignal }) => Promise<unknown>;
    await ping.call(docker, { abortSignal: AbortSignal.timeout(options.timeoutMs ?? 2000) });
    return true;
  } catch {
    return false;
  }
}

/**
 * The first of `candidates` (default {@link DEFAULT_DOCKER_HOSTS}) whose engine answers a ping,
 * tried in order; `undefined` when none does.
 */
export async function firstAnsweringDockerHost(
  candidates: readonly string[] = DEFAULT_DOCKER_HOSTS,
  options: { timeoutMs?: number } = {},
): Promise<string | undefined> {
  for (const candidate of candidates) {
    if (await engineAnswers(candidate, options)) return candidate;
  }
  return undefined;
}

/**
 * The `DOCKER_HOST` field of a service's config schema: a string that {@link parseDockerHost}
 * accepts, so a bad value stops the service at start-up with a message naming the variable.
 *
 * @example
 * z.object({ DOCKER_HOST: dockerHostSchema.optional() })
 */
export const dockerHostSchema = z.string().superRefine((value, context) => {
  const result = safeParseDockerHost(value);
  if (!result.ok) context.addIssue({ code: 'custom', message: `${result.error}; expected ${DOCKER_HOST_FORMS}` });
});
