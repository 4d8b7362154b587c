/**
 * Cuts a tool's output to a character budget before it enters the model's context:
 * consecutive repeated lines are folded into one with a count, lines that repeat elsewhere
 * (ignoring digits, e.g. timestamps) are kept once, and when still too long the head and the
 * tail are kept with a note of what was dropped. Logs are mostly repetition; the first and
 * the last lines carry the story.
 */
export interface BudgetedOutput {
  text: string;
  /** Characters of the original. */
  original_chars: number;
  /** Lines folded as duplicates. */
  duplicate_lines: number;
  /** Lines dropped from the middle. */
  dropped_lines: number;
}

const normalize = (line: string) => line.replace(/\d+/g, '#').trim();

/** Folds repeated lines; returns the remaining lines and how many were folded. */
function foldDuplicates(lines: string[]): { lines: string[]; folded: number } {
  const seen = new Map<string, number>();
  const kept: { line: string; key: string; repeats: number }[] = [];
  let folded = 0;
  for (const line of lines) {
    const key = normalize(line);
    if (key.length === 0) {
      kept.push({ line, key, repeats: 0 });
      continue;
    }
    const index = seen.get(key);
    if (index !== undefined) {
      const entry = kept[index]!;
      entry.repeats += 1;
      folded += 1;
      continue;
    }
    seen.set(key, kept.length);
    kept.push({ line, key, repeats: 0 });
  }
  return {
    lines: kept.map((entry) => (entry.repeats > 0 ? `${entry.line}  [×${entry.repeats + 1} similar lines]` : entry.line)),
    folded,
  };
}

/**
 * Fits `text` into `maxChars` characters (see the module comment).
 *
 * @example
 * fitToBudget(logs, 3000).text // head … "[… 412 lines (18230 chars) dropped …]" … tail
 */
export function fitToBudget(text: string, maxChars: number): BudgetedOutput {
  const original_chars = text.length;
  if (text.length <= maxChars) return { text, original_chars, duplicate_lines: 0, dropped_lines: 0 };
  const { lines, folded } = foldDuplicates(text.split('\n'));
  const joined = lines.join('\n');
  const foldNote = folded > 0 ? `[${folded} repeated lines folded]\n` : '';
  if (joined.length + foldNote.length <= maxChars) {
    return { text: foldNote + joined, original_chars, duplicate_lines: folded, dropped_lines: 0 };
  }
  // Keep about 40% head and 60% tail (the newest log lines matter most), line-aligned.
  const room = Math.max(0, maxChars - foldNote.length - 80);
  const headRoom = Math.floor(room * 0.4);
  const tailRoom = room - headRoom;
  const head: string[] = [];
  let used = 0;
  for (const line of lines) {
    if (used + line.length + 1 > headRoom) break;
    head.push(line);
    used += line.length + 1;
  }
  const tail: string[] = [];
  used = 0;
  for (let index = lines.length - 1; index >= head.length; index -= 1) {
    const line = lines[index]!;
    if (used + line.length + 1 > tailRoom) break;
    tail.unshift(line);
    used += line.length + 1;
  }
  let dropped = lines.length - head.length - tail.length;
  // A single enormous line: keep its two ends.
  if (head.length === 0 && tail.length === 0) {
    const single = joined;
    const cut = `${single.slice(0, headRoom)}\n[… ${single.length - room} chars dropped …]\n${single.slice(single.length - tailRoom)}`;
    return { text: foldNote + cut, original_chars, duplicate_lines: folded, dropped_lines: 0 };
  }
  const droppedChars = lines
    .slice(head.length, lines.length - tail.length)
    .reduce((sum, line) => sum + line.length + 1, 0);
  if (dropped < 0) dropped = 0;
  const note = `[… ${dropped} lines (${droppedChars} chars) dropped to fit the ${maxChars}-char budget …]`;
  return {
    text: `${foldNote}${head.join('\n')}\n${note}\n${tail.join('\n')}`,
    original_chars,
    duplicate_lines: folded,
    dropped_lines: dropped,
  };
}

/** Serialises a tool result for the model: strings as they are, everything else as compact JSON. */
export function toolOutputText(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value === undefined) return 'null';
  // Pretty-printed JSON splits into lines the budget can fold and cut.
  return JSON.stringify(value, null, 1);
}
