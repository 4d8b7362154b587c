import { existsSync } from 'node:fs';
import { createRequire, Module } from 'node:module';
import { dirname, join } from 'node:path';
import type Dockerode from 'dockerode';

const requireHere = createRequire(import.meta.url);

/**
 * Puts a stand-in for the CommonJS module `file` (one that exports a function) in the module
 * cache: modules that require it get a function that loads the real module on its first call and
 * hands the call on. Nothing is deferred when `file` does not exist or is already loaded; the
 * real module then loads as usual.
 */
export function deferFunctionModule(file: string, require: NodeJS.Require = requireHere): void {
  if (!existsSync(file) || require.cache[file]) return;
  let real: ((...args: unknown[]) => unknown) | undefined;
  const standIn = new Module(file);
  standIn.filename = file;
  standIn.loaded = true;
  standIn.exports = function deferred(this: unknown, ...args: unknown[]): unknown {
    if (!real) {
      delete require.cache[file];
      real = require(file) as (...args: unknown[]) => unknown;
    }
    return real.apply(this, args);
  };
  require.cache[file] = standIn;
}

/**
 * dockerode, with what only BuildKit builds (`buildImage` with `version: '2'`: gRPC and protobuf)
 * and `ssh://` hosts (ssh2) use loaded on first use, not at every start: about 170 modules and
 * 0.15–0.2 s of CPU that a service talking to the Engine API over a socket or TCP never needs.
 */
function loadDockerode(): typeof Dockerode {
  const dockerodeDirectory = dirname(requireHere.resolve('dockerode/package.json'));
  deferFunctionModule(join(dockerodeDirectory, 'lib', 'session.js'));
  const requireFromDockerode = createRequire(join(dockerodeDirectory, 'package.json'));
  deferFunctionModule(join(dirname(requireFromDockerode.resolve('docker-modem/package.json')), 'lib', 'ssh.js'));
  return requireHere('dockerode') as typeof Dockerode;
}

/** The dockerode client class. Import it from here, not from `dockerode`, so the deferral applies. */
export const Docker: typeof Dockerode = loadDockerode();
