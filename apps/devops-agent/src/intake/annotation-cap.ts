/** Marker appended to an annotation cut for analysis, with how much was left out. */
export const TRUNCATION_MARK = '… [truncated: ';

/**
 * The annotations an analysis sees: each value cut to `limit` characters (with a marker saying
 * how many were left out), at most `maxAnnotations` of them. The stored alert keeps the full
 * text (the API and the dashboard show it); only what goes into analysis — the rule analyzer,
 * the LLM prompt and its redaction, which is linear but still proportional to its input — is
 * bounded, so one alert with a megabyte of annotation cannot hold the event loop.
 *
 * @example
 * capAnnotations({ description: 'x'.repeat(10_000) }, 100).description.length; // ≈ 130
 */
export function capAnnotations(annotations: Record<string, string>, limit: number, maxAnnotations = 32): Record<string, string> {
  const capped: Record<string, string> = {};
  for (const [name, value] of Object.entries(annotations).slice(0, maxAnnotations)) {
    const key = name.slice(0, 200);
    capped[key] = value.length <= limit ? value : `${value.slice(0, limit)}${TRUNCATION_MARK}${value.length - limit} more characters]`;
  }
  return capped;
}
