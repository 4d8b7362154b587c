import { join } from 'node:path';
import type { Config } from './config.js';
import type { Forge } from './forge/forge.js';
import { BwrapSandbox } from './sandbox/bwrap-sandbox.js';
import type { Sandbox } from './sandbox/sandbox.js';
import { UnsandboxedRunner } from './tester/unsandboxed-runner.js';

/** The sandbox the config asks for: bubblewrap (default), a container, or none (`ENABLE_SANDBOXING=false`). */
export function createSandbox(config: Config): Sandbox {
  if (!config.ENABLE_SANDBOXING) return new UnsandboxedRunner();
  if (config.SANDBOX_RUNTIME === 'container') {
    throw new Error('SANDBOX_RUNTIME=container: the container sandbox is not wired into this build yet; use bubblewrap');
  }
  return new BwrapSandbox();
}

/** The forge the config asks for: the local bare-repository forge (default) or GitHub. */
export function createForge(config: Config): Forge {
  const path = config.FORGE_PATH ?? join(config.DATA_DIR, 'forge');
  throw new Error(`FORGE=${config.FORGE} (${path}): no forge implementation is wired into this build yet`);
}
