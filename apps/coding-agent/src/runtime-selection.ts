import { join } from 'node:path';
import { connectEngine } from '@atb/container-engine';
import type { Config } from './config.js';
import type { Forge } from './forge/forge.js';
import { GitHubForge } from './forge/github-forge.js';
import { LocalForge } from './forge/local-forge.js';
import { BwrapSandbox } from './sandbox/bwrap-sandbox.js';
import { ContainerSandbox } from './sandbox/container-sandbox.js';
import type { Sandbox } from './sandbox/sandbox.js';
import { UnsandboxedRunner } from './tester/unsandboxed-runner.js';

/** The sandbox the config asks for: bubblewrap (default), a container, or none (`ENABLE_SANDBOXING=false`). */
export function createSandbox(config: Config): Sandbox {
  if (!config.ENABLE_SANDBOXING) return new UnsandboxedRunner();
  if (config.SANDBOX_RUNTIME === 'container') {
    return new ContainerSandbox({ docker: connectEngine(config.DOCKER_HOST).docker, image: config.SANDBOX_IMAGE, mountHostUsr: config.SANDBOX_MOUNT_HOST_USR });
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
