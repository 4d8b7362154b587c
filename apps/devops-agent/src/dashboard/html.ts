/**
 * Escaping-by-default HTML templating for the dashboard. Every value interpolated into
 * {@link html} is escaped unless it is itself the output of `html` (a {@link SafeHtml}); labels,
 * annotations and every other string that came from an alert can therefore never become markup.
 */

/** A fragment of HTML that is already safe to emit (built by {@link html}). */
export class SafeHtml {
  constructor(readonly value: string) {}

  toString(): string {
    return this.value;
  }
}

const ENTITIES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
  '`': '&#96;',
};

/** Escapes text for an HTML element body or a double- or single-quoted attribute value. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"'`]/g, (character) => ENTITIES[character] ?? character);
}

function render(value: unknown): string {
  if (value instanceof SafeHtml) return value.value;
  if (value === undefined || value === null || value === false) return '';
  if (Array.isArray(value)) return value.map(render).join('');
  return escapeHtml(String(value));
}

/**
 * Tagged template: interpolated values are escaped; nested `html` fragments and arrays of them
 * are kept as they are; `undefined`, `null` and `false` render as nothing.
 *
 * @example
 * html`<td>${alert.labels.summary}</td>` // "<script>" becomes "&lt;script&gt;"
 */
export function html(strings: TemplateStringsArray, ...values: unknown[]): SafeHtml {
  let output = strings[0] ?? '';
  values.forEach((value, index) => {
    output += render(value) + (strings[index + 1] ?? '');
  });
  return new SafeHtml(output);
}

/**
 * A URL safe to put in `href`: absolute http(s) URLs and same-origin paths only. Anything else
 * (`javascript:`, `data:`, protocol-relative `//host`) is refused, so the caller renders text.
 */
export function safeHref(url: string | null | undefined): string | undefined {
  if (!url) return undefined;
  if (url.startsWith('/') && !url.startsWith('//')) return url;
  try {
    const parsed = new URL(url);
    return parsed.protocol === 'http:' || parsed.protocol === 'https:' ? parsed.href : undefined;
  } catch {
    return undefined;
  }
}

/** A link when the URL is safe, otherwise the URL as plain text. */
export function link(url: string | null | undefined, text?: string): SafeHtml {
  const href = safeHref(url);
  if (!href) return html`${text ?? url ?? ''}`;
  return html`<a href="${href}" rel="noopener noreferrer">${text ?? url}</a>`;
}
