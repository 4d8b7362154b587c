// Copies what one service needs at run time out of a built monorepo checkout:
//   node deploy/image/service-tree.mjs <workspace directory> <output directory> [--list]
// The set is the workspace's production dependency closure as Node resolves it from the installed
// node_modules (dependencies, plus optional and peer dependencies that are installed), walked
// from the workspace itself; devDependencies of every package, and @types/* declaration
// packages, are left out, so a test-only package (vitest through @atb/testing) can never reach
// an image. Within that set, files that
// nothing loads at run time stay behind: TypeScript sources and declarations, source maps,
// Markdown, compiled tests, and a native module's sources and intermediate objects (only its
// built `.node` addon is copied). The output mirrors the checkout's layout (package.json,
// node_modules/…, apps/…, packages/…), so paths like apps/<service>/dist/src/main.js work from it.
// --list prints the closure (one package directory a line, relative to the checkout) instead.
import { cpSync, existsSync, mkdirSync, readFileSync, realpathSync, statSync, symlinkSync } from 'node:fs';
import { basename, dirname, join, relative, resolve, sep } from 'node:path';

/** The directory of `name` as Node resolves it from a package in `from`, or undefined. */
function resolvePackage(name, from, root) {
  let directory = from;
  for (;;) {
    const candidate = join(directory, 'node_modules', name);
    if (existsSync(join(candidate, 'package.json'))) return realpathSync(candidate);
    if (directory === root || dirname(directory) === directory) return undefined;
    directory = dirname(directory);
  }
}

/** Every package directory (absolute, real paths) the workspace needs at run time, itself first. */
export function productionClosure(root, workspace) {
  const realRoot = realpathSync(root);
  const start = realpathSync(resolve(root, workspace));
  const seen = new Set([start]);
  const queue = [start];
  while (queue.length > 0) {
    const directory = queue.shift();
    const manifest = JSON.parse(readFileSync(join(directory, 'package.json'), 'utf8'));
    const required = Object.keys(manifest.dependencies ?? {});
    const optional = [...Object.keys(manifest.optionalDependencies ?? {}), ...Object.keys(manifest.peerDependencies ?? {})];
    for (const name of [...required, ...optional]) {
      // Type declarations only (a dependency of some packages): nothing loads them at run time.
      if (name.startsWith('@types/')) continue;
      const found = resolvePackage(name, directory, realRoot);
      if (!found) {
        if (required.includes(name)) throw new Error(`${relative(realRoot, directory) || '.'} depends on ${name}, which is not installed`);
        continue;
      }
      if (!seen.has(found)) {
        seen.add(found);
        queue.push(found);
      }
    }
  }
  return [...seen];
}

const SKIPPED_FILE = /(\.d\.[cm]?ts|\.[cm]?ts|\.map|\.md|\.markdown|\.tsbuildinfo|\.test\.js)$/i;
const LICENSE = /^(licen[cs]e|copying|notice)/i;

/** Whether a file or directory of an installed package is copied. */
function keepInPackage(path, packageDirectory, isNative) {
  const inside = relative(packageDirectory, path);
  if (inside === '') return true;
  const [top] = inside.split(sep);
  // Nested node_modules are copied as their own closure entries, when they are in it.
  if (top === 'node_modules') return false;
  if (isNative) {
    if (top === 'build') return inside === 'build' || inside === join('build', 'Release') || /^build[/\\]Release[/\\](?!test)[^/\\]+\.node$/.test(inside);
    if (['src', 'deps', 'binding.gyp'].includes(top)) return false;
  }
  const name = basename(path);
  if (LICENSE.test(name)) return true;
  return statSync(path).isDirectory() || !SKIPPED_FILE.test(name);
}

/** Whether a file or directory of one of the monorepo's own workspaces is copied. */
function keepInWorkspace(path, workspaceDirectory) {
  const inside = relative(workspaceDirectory, path);
  if (inside === '') return true;
  const [top, next] = inside.split(sep);
  if (['src', 'test', 'node_modules'].includes(top)) return false;
  if (top === 'dist' && next === 'test') return false;
  return statSync(path).isDirectory() || !SKIPPED_FILE.test(basename(path));
}

/** Copies the closure of `workspace` under `output`; answers the package directories copied. */
export function copyServiceTree(root, workspace, output) {
  const realRoot = realpathSync(root);
  const closure = productionClosure(root, workspace);
  mkdirSync(output, { recursive: true });
  cpSync(join(realRoot, 'package.json'), join(output, 'package.json'));
  for (const directory of closure) {
    const inside = relative(realRoot, directory);
    const target = join(output, inside);
    if (inside.split(sep).includes('node_modules')) {
      const isNative = existsSync(join(directory, 'binding.gyp'));
      cpSync(directory, target, { recursive: true, filter: (path) => keepInPackage(path, directory, isNative) });
      continue;
    }
    // A workspace: its files, and the link node_modules/<name> → the workspace, as npm makes it.
    cpSync(directory, target, { recursive: true, filter: (path) => keepInWorkspace(path, directory) });
    const { name } = JSON.parse(readFileSync(join(directory, 'package.json'), 'utf8'));
    const link = join(output, 'node_modules', name);
    mkdirSync(dirname(link), { recursive: true });
    symlinkSync(relative(dirname(link), target), link);
  }
  return closure.map((directory) => relative(realRoot, directory));
}

if (process.argv[1] && realpathSync(process.argv[1]) === realpathSync(new URL(import.meta.url).pathname)) {
  const [workspace, output] = process.argv.slice(2).filter((argument) => !argument.startsWith('--'));
  if (!workspace || (!output && !process.argv.includes('--list'))) {
    process.stderr.write('usage: node deploy/image/service-tree.mjs <workspace directory> <output directory> [--list]\n');
    process.exit(2);
  }
  const root = process.cwd();
  const list = process.argv.includes('--list')
    ? productionClosure(root, workspace).map((directory) => relative(realpathSync(root), directory))
    : copyServiceTree(root, workspace, output);
  process.stdout.write(process.argv.includes('--list') ? `${list.join('\n')}\n` : `${workspace}: ${list.length} packages copied to ${output}\n`);
}
