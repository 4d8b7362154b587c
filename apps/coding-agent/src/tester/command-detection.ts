import { access } from 'node:fs/promises';
import { join } from 'node:path';
import { readWorkspaceText } from '../security/path-policy.js';

/** The commands a repository is built, checked and tested with. Arrays, never shell strings. */
export interface RepositoryCommands {
  install?: string[];
  /** Type-check / lint / compile, run after every edit. */
  check?: string[];
  test?: string[];
  /** Where each came from, for the report. */
  sources: { install?: string; check?: string; test?: string };
  /** Free-form notes for the model from the instructions file. */
  notes?: string;
  /** Host paths the commands need mounted read-only in the sandbox (a shared TypeScript). */
  readOnlyPaths?: string[];
}

export interface DetectOptions {
  /**
   * A TypeScript package directory on the host (`TYPESCRIPT_PATH`, e.g. `…/node_modules/typescript`):
   * repositories with a `tsconfig.json` but no local `tsc` are type-checked with it, mounted
   * read-only in the sandbox.
   */
  typescriptPath?: string;
}

const SHELL_SYNTAX = /[|&;<>()$`\\"'*?[\]#~=%]/;

/** `"node --test test/"` → `['node', '--test', 'test/']`; anything with shell syntax → `['sh', '-c', …]`. */
export function toCommand(value: string | string[]): string[] {
  if (Array.isArray(value)) return value;
  const trimmed = value.trim();
  if (SHELL_SYNTAX.test(trimmed)) return ['sh', '-c', trimmed];
  return trimmed.split(/\s+/);
}

async function exists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  );
}

/** A JSON object from a file of the repository (never through a link leading outside it). */
async function readJson(workspace: string, path: string): Promise<Record<string, unknown> | undefined> {
  try {
    const value = JSON.parse((await readWorkspaceText(workspace, path)) ?? '') as unknown;
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

type Kind = 'install' | 'check' | 'test';

/** Reads `.atb/instructions.json` (`{ install, check, test, notes }`) or the `install:`/`check:`/`test:` lines of `ATB.md`. */
async function readInstructions(workspace: string): Promise<{ commands: Partial<Record<Kind, string[]>>; notes?: string; source?: string }> {
  const json = await readJson(workspace, '.atb/instructions.json');
  if (json) {
    const commands: Partial<Record<Kind, string[]>> = {};
    for (const kind of ['install', 'check', 'test'] as const) {
      const value = json[kind];
      if (typeof value === 'string' || (Array.isArray(value) && value.every((item) => typeof item === 'string'))) {
        commands[kind] = toCommand(value as string | string[]);
      }
    }
    return { commands, ...(typeof json.notes === 'string' ? { notes: json.notes } : {}), source: '.atb/instructions.json' };
  }
  const markdown = await readWorkspaceText(workspace, 'ATB.md');
  if (markdown !== undefined) {
    const commands: Partial<Record<Kind, string[]>> = {};
    for (const line of markdown.split('\n')) {
      const match = /^\s*(?:[-*]\s*)?\**(install|check|test)\**\s*:\s*`([^`]+)`/i.exec(line);
      if (match?.[1] && match[2]) commands[match[1].toLowerCase() as Kind] = toCommand(match[2]);
    }
    return { commands, notes: markdown.slice(0, 4000), source: 'ATB.md' };
  }
  return { commands: {} };
}

/**
 * Detects install, check and test commands: the instructions file first, then `package.json`
 * (scripts `typecheck`/`lint`/`check`, `test`; `tsc --noEmit` when a tsconfig and a local tsc
 * exist), then Python markers (`pyproject.toml`, `setup.py`, `pytest.ini` → pytest).
 */
export async function detectCommands(workspace: string, options: DetectOptions = {}): Promise<RepositoryCommands> {
  const instructions = await readInstructions(workspace);
  const result: RepositoryCommands = { sources: {}, ...(instructions.notes ? { notes: instructions.notes } : {}) };
  for (const kind of ['install', 'check', 'test'] as const) {
    const command = instructions.commands[kind];
    if (command && instructions.source) {
      result[kind] = command;
      result.sources[kind] = instructions.source;
    }
  }
  const packageJson = await readJson(workspace, 'package.json');
  if (packageJson) {
    const scripts = (packageJson.scripts ?? {}) as Record<string, unknown>;
    if (!result.check) {
      const name = ['typecheck', 'check', 'lint'].find((script) => typeof scripts[script] === 'string');
      if (name) {
        result.check = ['npm', 'run', '--silent', name];
        result.sources.check = `package.json scripts.${name}`;
      }
    }
    const test = scripts.test;
    if (!result.test && typeof test === 'string' && !/no test specified/.test(test)) {
      result.test = ['sh', '-c', test];
      result.sources.test = 'package.json scripts.test';
    }
    const hasDependencies = Object.keys({
      ...((packageJson.dependencies ?? {}) as object),
      ...((packageJson.devDependencies ?? {}) as object),
    }).length > 0;
    if (!result.install && hasDependencies && !(await exists(join(workspace, 'node_modules')))) {
      result.install = (await exists(join(workspace, 'package-lock.json')))
        ? ['npm', 'ci', '--offline', '--ignore-scripts', '--no-audit', '--no-fund']
        : ['npm', 'install', '--offline', '--ignore-scripts', '--no-audit', '--no-fund'];
      result.sources.install = 'package.json dependencies';
    }
  }
  if (!result.check && (await exists(join(workspace, 'tsconfig.json')))) {
    if (await exists(join(workspace, 'node_modules', '.bin', 'tsc'))) {
      result.check = ['node_modules/.bin/tsc', '--noEmit', '-p', '.'];
      result.sources.check = 'tsconfig.json';
    } else if (options.typescriptPath && (await exists(join(options.typescriptPath, 'bin', 'tsc')))) {
      result.check = ['node', join(options.typescriptPath, 'bin', 'tsc'), '--noEmit', '-p', '.'];
      result.sources.check = 'tsconfig.json (TYPESCRIPT_PATH)';
      result.readOnlyPaths = [options.typescriptPath];
    }
  }
  if (!result.test) {
    for (const marker of ['pyproject.toml', 'setup.py', 'pytest.ini', 'setup.cfg']) {
      if (await exists(join(workspace, marker))) {
        result.test = ['python3', '-m', 'pytest', '-q'];
        result.sources.test = marker;
        break;
      }
    }
  }
  return result;
}
