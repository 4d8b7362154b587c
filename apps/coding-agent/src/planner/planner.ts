import type { ModelClient } from '../model/model-client.js';
import { type Plan, parsePlan } from './plan.js';

export const PLANNER_SYSTEM = `You are an expert software engineer planning a change to a repository.
Answer with one JSON object and nothing else:
{"complexity": 1-5, "files_to_modify": ["path"], "new_files_needed": ["path"], "dependencies": ["..."],
 "risks": ["..."], "estimated_time_minutes": 15, "summary": "one paragraph: the approach"}
Paths are relative to the repository root and must come from the repository map (or be new files).`;

/**
 * Plans a requirement: shows the model the repository map (files and exported symbols, see
 * `repository-map.ts`) and
 * validates its answer; one retry with the validation error, then it fails.
 */
export async function planRequirement(
  model: ModelClient,
  map: string,
  requirement: string,
  notes: string | undefined,
  signal?: AbortSignal,
): Promise<Plan> {
  let prompt = [
    `## Requirement\n${requirement}`,
    notes ? `## Repository instructions\n${notes}` : '',
    `## Repository map (file: exported symbols)\n${map}`,
  ]
    .filter(Boolean)
    .join('\n\n');
  let lastError = '';
  for (let attempt = 1; attempt <= 2; attempt += 1) {
    const answer = await model.complete({ system: PLANNER_SYSTEM, prompt, ...(signal ? { signal } : {}) });
    const plan = parsePlan(answer);
    if (plan.ok) return plan.value;
    lastError = plan.error;
    prompt = `${prompt}\n\n## Your previous answer was invalid\n${plan.error}\nAnswer with the JSON object only.`;
  }
  throw new Error(`the planner's answer was invalid twice: ${lastError}`);
}
