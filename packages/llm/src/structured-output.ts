import type { z } from 'zod';

/** The outcome of reading a model's JSON answer: the AI SDK's `safeParseJSON` style. */
export type ParsedOutput<Value> = { ok: true; value: Value } | { ok: false; problems: string };

/** Pulls the JSON object out of a reply: strips code fences and any prose around the braces. */
export function extractJsonText(text: string): string | undefined {
  const fenced = /```(?:json)?\s*([\s\S]*?)```/i.exec(text);
  const body = (fenced ? fenced[1]! : text).trim();
  const start = body.indexOf('{');
  const end = body.lastIndexOf('}');
  if (start === -1 || end <= start) return undefined;
  return body.slice(start, end + 1);
}

/**
 * Parses and validates a model's answer against `schema`. Problems are phrased for the model
 * (they are sent back in the repair prompt): `path: message` per issue, or what was wrong
 * with the JSON itself.
 */
export function parseModelOutput<Schema extends z.ZodType>(text: string, schema: Schema): ParsedOutput<z.output<Schema>> {
  if (text.trim().length === 0) return { ok: false, problems: 'the answer was empty (no JSON object)' };
  const json = extractJsonText(text);
  if (json === undefined) return { ok: false, problems: 'the answer contained no JSON object' };
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch (error) {
    return { ok: false, problems: `the answer was not valid JSON (${(error as Error).message})` };
  }
  const result = schema.safeParse(value);
  if (result.success) return { ok: true, value: result.data };
  const problems = result.error.issues
    .slice(0, 12)
    .map((issue) => `${issue.path.length > 0 ? issue.path.join('.') : '(root)'}: ${issue.message}`)
    .join('; ');
  return { ok: false, problems: `the JSON did not match the schema — ${problems}` };
}
