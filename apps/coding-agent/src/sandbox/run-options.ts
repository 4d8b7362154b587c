import { realpath, stat } from 'node:fs/promises';
import { isAbsolute, resolve } from 'node:path';
import { InputError } from '@atb/service-kit';
import { isInside } from '../workspace/path-inside.js';
import type { SandboxRunOptions } from './sandbox.js';

/** Host paths that may never be (or contain) a sandbox workspace, since it is mounted writable. */
const SYSTEM_PATHS = ['/', '/usr', '/etc', '/proc', '/dev', '/sys', '/bin', '/sbin', '/lib', '/lib64', '/boot', '/var', '/root', '/home'];

/**
 * Checks what every sandbox needs before it starts anything: an absolute existing workspace
 * directory that is not a system directory, a working directory inside it, a non-empty argv and
 * positive limits. Answers the workspace and working directory with symbolic links resolved.
 * Throws `InputError` naming the option.
 */
export async function validateRunOptions(options: SandboxRunOptions): Promise<{ workspace: string; cwd: string }> {
  if (!Array.isArray(options.command) || options.command.length === 0 || options.command.some((part) => typeof part !== 'string')) {
    throw new InputError('command must be a non-empty array of strings (program and arguments)', { field: 'command' });
  }
  if (!(options.timeoutMs > 0)) throw new InputError(`timeoutMs must be positive, got ${options.timeoutMs}`, { field: 'timeoutMs' });
  if (!(options.memoryBytes > 0)) throw new InputError(`memoryBytes must be positive, got ${options.memoryBytes}`, { field: 'memoryBytes' });
  if (!isAbsolute(options.workspace)) {
    throw new InputError(`workspace must be an absolute path, got ${options.workspace}`, { field: 'workspace' });
  }
  let workspace: string;
  try {
    workspace = await realpath(options.workspace);
    if (!(await stat(workspace)).isDirectory()) throw new Error('not a directory');
  } catch {
    throw new InputError(`workspace must be an existing directory, got ${options.workspace}`, { field: 'workspace' });
  }
  if (SYSTEM_PATHS.some((system) => isInside(workspace, system))) {
    throw new InputError(`workspace ${workspace} is or contains a system directory`, { field: 'workspace' });
  }
  const cwd = resolve(workspace, options.cwd ?? '.');
  let realCwd: string;
  try {
    realCwd = await realpath(cwd);
  } catch {
    throw new InputError(`cwd must be an existing directory inside the workspace, got ${options.cwd}`, { field: 'cwd' });
  }
  if (!isInside(workspace, realCwd)) {
    throw new InputError(`cwd must stay inside the workspace, got ${options.cwd}`, { field: 'cwd' });
  }
  return { workspace, cwd: realCwd };
}
