import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const SOURCE = fileURLToPath(new URL('../src', import.meta.url));
const MAX_FILE_LINES = 450;
const MAX_FUNCTION_LINES = 80;

function sourceFiles(directory: string): string[] {
  return readdirSync(directory, { withFileTypes: true }).flatMap((entry) => {
    const path = join(directory, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith('.ts') ? [path] : [];
  });
}

/** Functions (declarations, methods, arrows, expressions) longer than `limit` lines, as `file:line name (n lines)`. */
function longFunctions(file: string, limit: number): string[] {
  const text = readFileSync(file, 'utf8');
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
  const found: string[] = [];
  const visit = (node: ts.Node) => {
    if (ts.isFunctionLike(node) && 'body' in node && node.body) {
      const start = source.getLineAndCharacterOfPosition(node.getStart(source)).line;
      const end = source.getLineAndCharacterOfPosition(node.getEnd()).line;
      const name = node.name && ts.isIdentifier(node.name) ? node.name.text : '(anonymous)';
      if (end - start + 1 > limit) found.push(`${relative(SOURCE, file)}:${start + 1} ${name} (${end - start + 1} lines)`);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

/**
 * Size limits of the agent's source, so that every module can be read in one sitting. Rerun:
 * `npx vitest run apps/devops-agent/test/source-size.test.ts`.
 */
describe('the agent source stays readable', () => {
  const files = sourceFiles(SOURCE);

  it(`has no file over ${MAX_FILE_LINES} lines`, () => {
    const long = files.map((file) => [relative(SOURCE, file), readFileSync(file, 'utf8').split('\n').length] as const).filter(([, lines]) => lines > MAX_FILE_LINES);
    expect(long).toEqual([]);
  });

  it(`has no function over ${MAX_FUNCTION_LINES} lines`, () => {
    expect(files.flatMap((file) => longFunctions(file, MAX_FUNCTION_LINES))).toEqual([]);
  });

  it('states rules in comments instead of citing documents outside the repository', () => {
    const citing = files.flatMap((file) =>
      readFileSync(file, 'utf8')
        .split('\n')
        .flatMap((line, index) => (/SPEC \u00a7|seed (00\d|phase)|issue \d/i.test(line) ? [`${relative(SOURCE, file)}:${index + 1}: ${line.trim()}`] : [])),
    );
    expect(citing).toEqual([]);
  });
});
