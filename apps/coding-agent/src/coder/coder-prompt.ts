import type { Plan } from '../planner/plan.js';

/** The system prompt of the coder: the edit-block format and the rules. */
export const CODER_SYSTEM = `You are a careful software engineer fixing or changing code in a git repository.
Answer ONLY with search/replace edit blocks, one per change, in exactly this format:

path/to/file.ext
<<<<<<< SEARCH
lines copied exactly from the current file
=======
the new lines
>>>>>>> REPLACE

Rules:
- The SEARCH section must match the file exactly (copy it, including indentation); keep it short but unique.
- To create a NEW file, use an empty SEARCH section; whole-file rewrites of existing files are refused.
- Paths are relative to the repository root. Never touch CI workflows, .env files, secrets or files outside the repository.
- Do not weaken or delete tests to make them pass.
- If no change is needed, answer "NO CHANGE NEEDED:" followed by the explanation, and no blocks.`;

export interface CoderPromptInput {
  requirement: string;
  plan: Plan;
  files: { path: string; content: string }[];
  notes?: string;
  /** Files and exported symbols of the repository. */
  repositoryMap?: string;
  feedback?: string;
  iteration: number;
}

/** The coder's prompt for one iteration: requirement, plan, the files, and what went wrong last time. */
export function coderPrompt(input: CoderPromptInput): string {
  const files = input.files
    .map((file) => `### ${file.path}\n\`\`\`\n${file.content}\n\`\`\``)
    .join('\n\n');
  return [
    `## Requirement\n${input.requirement}`,
    `## Plan\n${JSON.stringify(input.plan, null, 2)}`,
    input.notes ? `## Repository instructions\n${input.notes}` : '',
    input.repositoryMap ? `## Repository map (file: exported symbols)\n${input.repositoryMap}` : '',
    `## Files\n${files || '(none yet)'}`,
    input.feedback ? `## Result of your previous edits (iteration ${input.iteration - 1})\n${input.feedback}` : '',
    `## Your answer (iteration ${input.iteration})\nEdit blocks only.`,
  ]
    .filter(Boolean)
    .join('\n\n');
}

/** `NO CHANGE NEEDED: why` in an answer with no blocks. */
export function noChangeExplanation(answer: string): string | undefined {
  const match = /NO CHANGE NEEDED\s*:?\s*([\s\S]*)/i.exec(answer);
  return match ? (match[1] ?? '').trim() || 'the model found nothing to change' : undefined;
}
