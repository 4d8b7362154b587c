import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

const sourceRoot = join(import.meta.dirname, '..', 'src');
/** Only the process runtime (for `atb up` without an engine) may start processes. */
const ALLOWED = new Set(['runtime/process-runtime.ts']);
// `regex.exec(text)` is fine; a free `exec(`/`spawn(`, or dockerode's `container.exec({…})`, is not.
const FORBIDDEN = [/child_process/, /(?<![.\w])(exec|execSync|execFile|execFileSync|spawn|spawnSync|fork)\s*\(/, /\.exec\(\s*\{/];

function sourceFiles(directory: string): string[] {
  return readdirSync(directory).flatMap((entry) => {
    const path = join(directory, entry);
    return statSync(path).isDirectory() ? sourceFiles(path) : path.endsWith('.ts') ? [path] : [];
  });
}

describe('no shell anywhere in the gateway', () => {
  it('no source file outside the process runtime mentions child_process, exec( or spawn(', () => {
    const offenders: string[] = [];
    const files = sourceFiles(sourceRoot);
    expect(files.length).toBeGreaterThan(10);
    for (const file of files) {
      const name = relative(sourceRoot, file);
      if (ALLOWED.has(name)) continue;
      const text = readFileSync(file, 'utf8');
      for (const pattern of FORBIDDEN) if (pattern.test(text)) offenders.push(`${name}: ${pattern}`);
    }
    expect(offenders).toEqual([]);
  });

  it('the Docker runtime never calls run, exec or remove on the engine (rollback alone creates and removes)', () => {
    const docker = sourceFiles(join(sourceRoot, 'runtime')).filter((file) => !file.endsWith('process-runtime.ts') && !file.endsWith('docker-rollback.ts'));
    for (const file of docker) {
      const text = readFileSync(file, 'utf8');
      expect(text, file).not.toMatch(/\.(exec\(\s*\{|run\(|remove\(|createContainer\(|prune\w*\()/);
    }
    // Rollback: one create (the replacement), a remove of that replacement if it fails to start, and one of the replaced container.
    const rollback = readFileSync(join(sourceRoot, 'runtime', 'docker-rollback.ts'), 'utf8');
    expect(rollback).not.toMatch(/\.(exec\(\s*\{|run\(|prune\w*\()/);
    expect(rollback.match(/createContainer\(/g)).toHaveLength(1);
    expect(rollback.match(/\.remove\(/g)).toHaveLength(2);
  });
});
