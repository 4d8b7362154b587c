import { readFile, stat } from 'node:fs/promises';
import { extname } from 'node:path';
import { simpleGit } from 'simple-git';
import { resolveInWorkspace } from '../security/path-policy.js';

export interface RepositoryFile {
  path: string;
  bytes: number;
  symbols: string[];
}

export interface RepositoryMap {
  files: RepositoryFile[];
  /** Files left out because of the size bound. */
  omitted: number;
}

const TS_EXPORT =
  /^\s*export\s+(?:default\s+)?(?:declare\s+)?(?:abstract\s+)?(?:async\s+)?(function\*?|class|interface|type|enum|const|let|var|namespace)\s+([A-Za-z_$][\w$]*)/;
const TS_EXPORT_LIST = /^\s*export\s*\{([^}]*)\}/;
const COMMONJS_EXPORT = /^\s*(?:module\.)?exports\.([A-Za-z_$][\w$]*)\s*=/;
const COMMONJS_OBJECT = /^\s*module\.exports\s*=\s*\{([^}]*)\}/;
const PYTHON_DEF = /^(?:async\s+)?(def|class)\s+([A-Za-z_]\w*)/;
const PYTHON_CONSTANT = /^([A-Z][A-Z0-9_]*)\s*[:=]/;

const SCRIPT_EXTENSIONS = new Set(['.ts', '.tsx', '.mts', '.cts', '.js', '.jsx', '.mjs', '.cjs']);

/**
 * Top-level exported symbols of a TypeScript/JavaScript or Python source, by a light line-based
 * parser (no full grammar: good enough to orient a model, cheap on any repository).
 */
export function extractSymbols(path: string, source: string): string[] {
  const extension = extname(path);
  const symbols: string[] = [];
  const lines = source.split('\n');
  if (SCRIPT_EXTENSIONS.has(extension)) {
    for (const line of lines) {
      const declaration = TS_EXPORT.exec(line);
      if (declaration) {
        const kind = declaration[1] === 'function*' ? 'function' : declaration[1];
        symbols.push(`${kind} ${declaration[2]}`);
        continue;
      }
      const exportList = TS_EXPORT_LIST.exec(line) ?? COMMONJS_OBJECT.exec(line);
      if (exportList?.[1]) {
        for (const item of exportList[1].split(',')) {
          const name = item.trim().split(/\s+as\s+|:/).pop()?.trim();
          if (name && /^[A-Za-z_$][\w$]*$/.test(name)) symbols.push(name);
        }
        continue;
      }
      const commonjs = COMMONJS_EXPORT.exec(line);
      if (commonjs?.[1]) symbols.push(commonjs[1]);
    }
  } else if (extension === '.py') {
    for (const line of lines) {
      const definition = PYTHON_DEF.exec(line);
      if (definition?.[2] && !definition[2].startsWith('_')) {
        symbols.push(`${definition[1]} ${definition[2]}`);
        continue;
      }
      const constant = PYTHON_CONSTANT.exec(line);
      if (constant?.[1]) symbols.push(constant[1]);
    }
  }
  return symbols;
}

/**
 * The repository map shown to the planner: every tracked file (`git ls-files`) with its size and
 * exported symbols, bounded to `maxFiles` files. Paths that lead outside the workspace (through
 * a symbolic link) are left out.
 */
export async function buildRepositoryMap(workspace: string, maxFiles = 400): Promise<RepositoryMap> {
  const listing = await simpleGit(workspace).raw(['ls-files', '-z']);
  const paths = listing.split('\0').filter((path) => path.length > 0);
  const files: RepositoryFile[] = [];
  for (const path of paths.slice(0, maxFiles)) {
    // A tracked symbolic link may point anywhere on the host: only files that stay inside the
    // workspace (the path policy's containment check) are named, sized or read.
    const contained = await resolveInWorkspace(workspace, path);
    if (!contained.ok) continue;
    const absolute = contained.absolute;
    const info = await stat(absolute).catch(() => undefined);
    if (!info?.isFile()) continue;
    const extension = extname(path);
    const parse = (SCRIPT_EXTENSIONS.has(extension) || extension === '.py') && info.size <= 512 * 1024;
    const symbols = parse ? extractSymbols(path, await readFile(absolute, 'utf8')) : [];
    files.push({ path, bytes: info.size, symbols });
  }
  return { files, omitted: Math.max(0, paths.length - maxFiles) };
}

/** The map as compact text for a prompt. */
export function renderRepositoryMap(map: RepositoryMap): string {
  const lines = map.files.map((file) => (file.symbols.length > 0 ? `${file.path}: ${file.symbols.join(', ')}` : file.path));
  if (map.omitted > 0) lines.push(`… and ${map.omitted} more files`);
  return lines.join('\n');
}
