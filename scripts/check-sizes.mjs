#!/usr/bin/env node
// Keeps source readable in one sitting: no source file over MAX_FILE_LINES lines anywhere in
// apps/*/src and packages/*/src, and no function over MAX_FUNCTION_LINES lines in the folders
// given (default: the devops agent's and the coding agent's src). Prints each offender and exits 1.
// Usage: node scripts/check-sizes.mjs [--functions <dir>...]
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import ts from 'typescript';

const MAX_FILE_LINES = 450;
const MAX_FUNCTION_LINES = 80;
const root = new URL('..', import.meta.url).pathname;
const functionDirs = process.argv.includes('--functions')
  ? process.argv.slice(process.argv.indexOf('--functions') + 1)
  : ['apps/devops-agent/src', 'apps/coding-agent/src'];

function* sourceFiles(directory) {
  for (const entry of readdirSync(directory, { withFileTypes: true })) {
    const path = join(directory, entry.name);
    if (entry.isDirectory()) yield* sourceFiles(path);
    else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts')) yield path;
  }
}

const sourceRoots = ['apps', 'packages'].flatMap((top) =>
  readdirSync(join(root, top), { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => join(root, top, entry.name, 'src')),
);

const offenders = [];
for (const directory of sourceRoots) {
  let files;
  try {
    files = [...sourceFiles(directory)];
  } catch {
    continue;
  }
  for (const file of files) {
    const lines = readFileSync(file, 'utf8').split('\n').length;
    if (lines > MAX_FILE_LINES) offenders.push(`${relative(root, file)}: ${lines} lines (file limit ${MAX_FILE_LINES})`);
  }
}

const isFunction = (node) =>
  ts.isFunctionDeclaration(node) ||
  ts.isMethodDeclaration(node) ||
  ts.isArrowFunction(node) ||
  ts.isFunctionExpression(node) ||
  ts.isConstructorDeclaration(node) ||
  ts.isGetAccessorDeclaration(node) ||
  ts.isSetAccessorDeclaration(node);

function functionName(node, source) {
  if (node.name) return node.name.getText(source);
  const parent = node.parent;
  if (parent && (ts.isVariableDeclaration(parent) || ts.isPropertyAssignment(parent)) && parent.name) return parent.name.getText(source);
  return '<anonymous>';
}

for (const directory of functionDirs) {
  for (const file of sourceFiles(join(root, directory))) {
    if (file.endsWith('.test.ts')) continue;
    const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true);
    const visit = (node) => {
      if (isFunction(node) && node.body) {
        const start = source.getLineAndCharacterOfPosition(node.getStart(source)).line;
        const end = source.getLineAndCharacterOfPosition(node.getEnd()).line;
        const lines = end - start + 1;
        if (lines > MAX_FUNCTION_LINES) {
          offenders.push(`${relative(root, file)}:${start + 1} ${functionName(node, source)}: ${lines} lines (function limit ${MAX_FUNCTION_LINES})`);
        }
      }
      ts.forEachChild(node, visit);
    };
    visit(source);
  }
}

if (offenders.length > 0) {
  console.error(`sizes: ${offenders.length} over the limit\n${offenders.join('\n')}`);
  process.exit(1);
}
console.log(`sizes: every file ≤ ${MAX_FILE_LINES} lines; every function in ${functionDirs.join(', ')} ≤ ${MAX_FUNCTION_LINES} lines`);
