/**
 * The edit format the model answers in (Aider-style search/replace blocks):
 *
 * ```
 * src/math.js
 * <<<<<<< SEARCH
 * exact lines from the file
 * =======
 * the lines that replace them
 * >>>>>>> REPLACE
 * ```
 *
 * The path is the last non-empty line before `<<<<<<< SEARCH` (backticks, `**` and a leading
 * `path:` are stripped; a ``` fence line in between is skipped). An empty SEARCH section creates
 * a new file with the REPLACE section as its content.
 */
export interface EditBlock {
  path: string;
  search: string;
  replace: string;
}

export interface ParsedEdits {
  blocks: EditBlock[];
  /** Blocks that could not be read, with why. */
  errors: string[];
}

const SEARCH = /^\s*<{5,9} SEARCH\s*$/;
const DIVIDER = /^\s*={5,9}\s*$/;
const REPLACE = /^\s*>{5,9} REPLACE\s*$/;
const FENCE = /^\s*```/;

function cleanPath(line: string): string {
  return line
    .trim()
    .replace(/^(?:path|file):\s*/i, '')
    .replace(/^[`*#\s]+|[`*:\s]+$/g, '')
    .trim();
}

/** Reads every search/replace block in a model's answer. */
export function parseEditBlocks(text: string): ParsedEdits {
  const lines = text.replace(/\r\n/g, '\n').split('\n');
  const blocks: EditBlock[] = [];
  const errors: string[] = [];
  let index = 0;
  while (index < lines.length) {
    if (!SEARCH.test(lines[index] ?? '')) {
      index += 1;
      continue;
    }
    let pathIndex = index - 1;
    while (pathIndex >= 0 && ((lines[pathIndex] ?? '').trim() === '' || FENCE.test(lines[pathIndex] ?? ''))) pathIndex -= 1;
    const path = pathIndex >= 0 ? cleanPath(lines[pathIndex] ?? '') : '';
    const search: string[] = [];
    const replace: string[] = [];
    let cursor = index + 1;
    while (cursor < lines.length && !DIVIDER.test(lines[cursor] ?? '')) {
      if (SEARCH.test(lines[cursor] ?? '') || REPLACE.test(lines[cursor] ?? '')) break;
      search.push(lines[cursor] ?? '');
      cursor += 1;
    }
    if (!DIVIDER.test(lines[cursor] ?? '')) {
      errors.push(`block ${blocks.length + errors.length + 1} (${path || 'no path'}): expected ======= after the SEARCH lines`);
      index = cursor;
      continue;
    }
    cursor += 1;
    while (cursor < lines.length && !REPLACE.test(lines[cursor] ?? '')) {
      if (SEARCH.test(lines[cursor] ?? '')) break;
      replace.push(lines[cursor] ?? '');
      cursor += 1;
    }
    if (!REPLACE.test(lines[cursor] ?? '')) {
      errors.push(`block ${blocks.length + errors.length + 1} (${path || 'no path'}): expected >>>>>>> REPLACE`);
      index = cursor;
      continue;
    }
    if (path === '') {
      errors.push(`block ${blocks.length + errors.length + 1}: expected the file path on the line before <<<<<<< SEARCH`);
    } else {
      blocks.push({ path, search: search.join('\n'), replace: replace.join('\n') });
    }
    index = cursor + 1;
  }
  return { blocks, errors };
}

/** Formats a block in the same syntax (for prompts, reports and tests). */
export function formatEditBlock(block: EditBlock): string {
  return `${block.path}\n<<<<<<< SEARCH\n${block.search}${block.search ? '\n' : ''}=======\n${block.replace}${
    block.replace ? '\n' : ''
  }>>>>>>> REPLACE`;
}
