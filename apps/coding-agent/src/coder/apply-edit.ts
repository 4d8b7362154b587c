/**
 * Applies one search/replace block to a file's text: the exact text first, then line by line
 * ignoring leading and trailing whitespace (re-indenting the replacement to the file's
 * indentation). On a miss it returns the closest real lines so the model can correct itself.
 */
export type ApplyResult =
  | { ok: true; content: string; match: 'exact' | 'whitespace' }
  | { ok: false; reason: string; closest?: { startLine: number; lines: string[]; similarity: number } };

function indentation(line: string): string {
  return /^[ \t]*/.exec(line)?.[0] ?? '';
}

function reindent(lines: string[], from: string, to: string): string[] {
  if (from === to) return lines;
  return lines.map((line) => {
    if (line.trim() === '') return line;
    if (line.startsWith(from)) return to + line.slice(from.length);
    return line;
  });
}

/** Bigram (Dice) similarity of two strings, 0..1, ignoring surrounding whitespace. */
export function lineSimilarity(first: string, second: string): number {
  const a = first.trim();
  const b = second.trim();
  if (a === b) return 1;
  if (a.length < 2 || b.length < 2) return 0;
  const bigrams = new Map<string, number>();
  for (let index = 0; index < a.length - 1; index += 1) {
    const pair = a.slice(index, index + 2);
    bigrams.set(pair, (bigrams.get(pair) ?? 0) + 1);
  }
  let shared = 0;
  for (let index = 0; index < b.length - 1; index += 1) {
    const pair = b.slice(index, index + 2);
    const count = bigrams.get(pair) ?? 0;
    if (count > 0) {
      bigrams.set(pair, count - 1);
      shared += 1;
    }
  }
  return (2 * shared) / (a.length - 1 + (b.length - 1));
}

/** The window of the file most similar, line by line, to `search` (for "did you mean"). */
export function closestLines(
  content: string,
  search: string,
): { startLine: number; lines: string[]; similarity: number } | undefined {
  const fileLines = content.split('\n');
  const searchLines = search.split('\n');
  const size = Math.min(searchLines.length, fileLines.length);
  if (size === 0) return undefined;
  let best: { startLine: number; lines: string[]; similarity: number } | undefined;
  for (let start = 0; start + size <= fileLines.length; start += 1) {
    let total = 0;
    for (let offset = 0; offset < size; offset += 1) {
      total += lineSimilarity(fileLines[start + offset] ?? '', searchLines[offset] ?? '');
    }
    const similarity = total / searchLines.length;
    if (!best || similarity > best.similarity) {
      best = { startLine: start + 1, lines: fileLines.slice(start, start + size), similarity };
    }
  }
  return best;
}

/** Applies `search` → `replace` to `content`. */
export function applyEdit(content: string, search: string, replace: string): ApplyResult {
  if (search.trim() === '') return { ok: false, reason: 'empty SEARCH section: only allowed to create a new file' };
  const exactIndex = content.indexOf(search);
  if (exactIndex >= 0) {
    return {
      ok: true,
      match: 'exact',
      content: content.slice(0, exactIndex) + replace + content.slice(exactIndex + search.length),
    };
  }
  const fileLines = content.split('\n');
  // Drop blank lines at the edges of the search: models often add or lose them.
  const searchLines = search.split('\n');
  while (searchLines.length > 0 && searchLines[0]?.trim() === '') searchLines.shift();
  while (searchLines.length > 0 && searchLines.at(-1)?.trim() === '') searchLines.pop();
  const normalizedSearch = searchLines.map((line) => line.trim());
  for (let start = 0; start + normalizedSearch.length <= fileLines.length; start += 1) {
    let matches = true;
    for (let offset = 0; offset < normalizedSearch.length; offset += 1) {
      if ((fileLines[start + offset] ?? '').trim() !== normalizedSearch[offset]) {
        matches = false;
        break;
      }
    }
    if (!matches) continue;
    const firstIndex = searchLines.findIndex((line) => line.trim() !== '');
    const fileIndent = indentation(fileLines[start + Math.max(0, firstIndex)] ?? '');
    const searchIndent = indentation(searchLines[Math.max(0, firstIndex)] ?? '');
    const replaceLines = replace.split('\n');
    const replacement = reindent(replaceLines, searchIndent, fileIndent);
    const result = [...fileLines.slice(0, start), ...replacement, ...fileLines.slice(start + normalizedSearch.length)];
    return { ok: true, match: 'whitespace', content: result.join('\n') };
  }
  const closest = closestLines(content, searchLines.join('\n'));
  return {
    ok: false,
    reason: 'SEARCH text not found in the file (exactly or ignoring whitespace)',
    ...(closest ? { closest } : {}),
  };
}
