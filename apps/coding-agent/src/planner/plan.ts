import { z } from 'zod';

/**
 * The planner's answer (`complexity`, `files_to_modify`, `new_files_needed`, `dependencies`,
 * `risks`, `estimated_time_minutes`, plus a summary), validated before anything acts on it.
 */
export const planSchema = z.object({
  complexity: z.coerce.number().int().min(1).max(5),
  files_to_modify: z.array(z.string().min(1)).default([]),
  new_files_needed: z.array(z.string().min(1)).default([]),
  dependencies: z.array(z.string()).default([]),
  risks: z.array(z.string()).default([]),
  estimated_time_minutes: z.coerce.number().min(0),
  /** A short description of the approach. */
  summary: z.string().optional(),
});

export type Plan = z.output<typeof planSchema>;

/** Finds the first JSON object in a model's answer (bare or in a ```json fence). */
export function extractJson(text: string): { ok: true; value: unknown } | { ok: false; error: string } {
  const fenced = /```(?:json)?\s*\n([\s\S]*?)```/.exec(text);
  const candidates = [fenced?.[1], text];
  for (const candidate of candidates) {
    if (candidate === undefined) continue;
    const start = candidate.indexOf('{');
    const end = candidate.lastIndexOf('}');
    if (start < 0 || end <= start) continue;
    try {
      return { ok: true, value: JSON.parse(candidate.slice(start, end + 1)) };
    } catch {
      // try the next candidate
    }
  }
  return { ok: false, error: 'expected a JSON object in the answer, found none that parses' };
}

/** Parses and validates a plan; the error names the offending fields. */
export function parsePlan(text: string): { ok: true; value: Plan } | { ok: false; error: string } {
  const json = extractJson(text);
  if (!json.ok) return json;
  const result = planSchema.safeParse(json.value);
  if (!result.success) {
    return {
      ok: false,
      error: result.error.issues.map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`).join('; '),
    };
  }
  return { ok: true, value: result.data };
}
