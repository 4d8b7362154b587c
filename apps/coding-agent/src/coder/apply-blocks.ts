import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { checkWritablePath, type PathPolicyOptions } from '../security/path-policy.js';
import type { EditReport } from '../tasks/task.js';
import { applyEdit } from './apply-edit.js';
import type { EditBlock } from './edit-blocks.js';

export interface BlocksOutcome {
  reports: EditReport[];
  /** What to tell the model about blocks that did not apply. */
  feedback: string[];
  /** Paths changed on disk. */
  changed: string[];
}

const MAX_FILE_BYTES = 1024 * 1024;

/**
 * Applies blocks one by one, each path checked by the path policy first. A block that misses
 * or is refused is reported (with the closest real lines on a miss) and the others still apply.
 */
export async function applyEditBlocks(
  workspace: string,
  blocks: EditBlock[],
  policy: PathPolicyOptions,
  iteration: number,
): Promise<BlocksOutcome> {
  const outcome: BlocksOutcome = { reports: [], feedback: [], changed: [] };
  for (const [index, block] of blocks.entries()) {
    const label = `block ${index + 1} (${block.path})`;
    const decision = await checkWritablePath(workspace, block.path, policy);
    if (!decision.ok) {
      outcome.reports.push({ iteration, path: block.path, outcome: 'refused', detail: `${decision.code}: ${decision.message}` });
      outcome.feedback.push(`${label} was REFUSED: ${decision.message}. Do not try this path again.`);
      continue;
    }
    const existing = await readFile(decision.absolute, 'utf8').catch((error: NodeJS.ErrnoException) =>
      error.code === 'ENOENT' ? undefined : Promise.reject(error),
    );
    if (existing === undefined) {
      if (block.search.trim() !== '') {
        outcome.reports.push({ iteration, path: decision.relative, outcome: 'missed', detail: 'file does not exist' });
        outcome.feedback.push(`${label} did not apply: the file does not exist. To create it, use an empty SEARCH section.`);
        continue;
      }
      if (Buffer.byteLength(block.replace) > MAX_FILE_BYTES) {
        outcome.reports.push({ iteration, path: decision.relative, outcome: 'refused', detail: 'new file larger than 1 MiB' });
        outcome.feedback.push(`${label} was REFUSED: a new file may not exceed 1 MiB.`);
        continue;
      }
      await mkdir(dirname(decision.absolute), { recursive: true });
      await writeFile(decision.absolute, block.replace.endsWith('\n') ? block.replace : `${block.replace}\n`, { flag: 'wx' });
      outcome.reports.push({ iteration, path: decision.relative, outcome: 'created' });
      outcome.changed.push(decision.relative);
      continue;
    }
    if (block.search.trim() === '') {
      outcome.reports.push({ iteration, path: decision.relative, outcome: 'refused', detail: 'whole-file write of an existing file' });
      outcome.feedback.push(
        `${label} was REFUSED: an empty SEARCH section rewrites a whole file, which is only allowed for new files. Edit existing files with SEARCH/REPLACE blocks.`,
      );
      continue;
    }
    const applied = applyEdit(existing, block.search, block.replace);
    if (!applied.ok) {
      const closest = applied.closest;
      outcome.reports.push({
        iteration,
        path: decision.relative,
        outcome: 'missed',
        detail: closest ? `closest lines start at line ${closest.startLine} (similarity ${closest.similarity.toFixed(2)})` : applied.reason,
      });
      outcome.feedback.push(
        `${label} did not apply: ${applied.reason}.${
          closest
            ? ` The closest lines in ${decision.relative} (from line ${closest.startLine}) are:\n${closest.lines.join('\n')}\nCopy the SEARCH text exactly from the file.`
            : ''
        }`,
      );
      continue;
    }
    await writeFile(decision.absolute, applied.content);
    outcome.reports.push({ iteration, path: decision.relative, outcome: applied.match === 'exact' ? 'applied-exact' : 'applied-whitespace' });
    outcome.changed.push(decision.relative);
  }
  return outcome;
}
