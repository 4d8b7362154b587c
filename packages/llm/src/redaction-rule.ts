/** The shape every redaction rule has, and the marker a secret is replaced with. */

/** What a secret is replaced with; names the kind so the model still understands the text. */
export const redactedMarker = (kind: string) => `[REDACTED:${kind}]`;

/** One redaction rule: a kind (for benchmarks and tests) and a pure text → text function. */
export interface RedactionRule {
  kind: string;
  apply(text: string): string;
}

export function regexRule(kind: string, pattern: RegExp, replacement: string): RedactionRule {
  return { kind, apply: (text) => text.replace(pattern, replacement) };
}

export const MARKER_PREFIX = '[REDACTED';
