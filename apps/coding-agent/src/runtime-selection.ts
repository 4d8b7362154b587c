import { join } from 'node:path';
import Docker from 'dockerode';
import type { Config } from './config.js';
import type { Forge } from './forge/forge.js';
import { GitHubForge } from './forge/github-forge.js';
import { LocalForge } from './forge/local-forge.js';
import { BwrapSandbox } from './sandbox/bwrap-sandbox.js';
import { ContainerSandbox } from './sandbox/container-sandbox.js';
import type { Sandbox } from './sandbox/sandbox.js';
import { UnsandboxedRunner } from './tester/unsandboxed-runner.js';

/** A Docker Engine API client for `DOCKER_HOST` (`unix:///path`, `tcp://host:port`, `http(s)://host:port`). */
export function dockerClient(dockerHost: string): Docker {
  if (dockerHost.startsWith('unix://')) return new Docker({ socketPath: dockerHost.slice('unix://'.length) });
  const url = new URL(dockerHost);
  const protocol = url.protocol === 'https:' ? 'https' : 'http';
  return new Docker({ host: url.hostname, port: url.port || (protocol === 'https' ? 2376 : 2375), protocol });
}

/** The sandbox the config asks for: bubblewrap (default), a container, or none (`ENABLE_SANDBOXING=false`). */
export function createSandbox(config: Config): Sandbox {
  if (!config.ENABLE_SANDBOXING) return new UnsandboxedRunner();
  if (config.SANDBOX_RUNTIME === 'container') {
    return new ContainerSandbox({ docker: dockerClient(config.DOCKER_HOST), image: config.SANDBOX_IMAGE, mountHostUsr: config.SANDBOX_MOUNT_HOST_USR });
  }
  return new BwrapSandbox();
}

/** The forge the config asks for: the local bare-repository forge (default) or GitHub. */
export function createForge(config: Config): Forge {
  if (config.FORGE === 'github') {
    if (!config.GITHUB_TOKEN) throw new Error('FORGE=github needs GITHUB_TOKEN');
    return new GitHubForge({ token: config.GITHUB_TOKEN, baseUrl: config.GITHUB_BASE_URL });
  }
  return new LocalForge({ directory: config.FORGE_PATH ?? join(config.DATA_DIR, 'forge') });
}
