/**
 * Secret redaction applied to everything before it is sent to a model: alert labels and
 * annotations, log lines, tool outputs, prompts. Patterns favour over-redaction: a redacted
 * harmless string costs little, a leaked credential costs a lot.
 *
 * Every rule runs in time linear in the input, whatever the input: regular expressions start
 * with a literal or a keyword and use bounded quantifiers only where a failed match could
 * otherwise rescan the same characters from each starting position, and `key = value`
 * assignments are found by a small scanner (a keyword search, then fixed-size checks around
 * it) instead of one regular expression with a leading `[\w.-]*`. Callers still bound the size
 * first: redaction is linear, not free.
 */
import { connectionStringRule, cookies, privateKey, TOKEN_RULES } from './redaction-patterns.js';
import { MARKER_PREFIX, type RedactionRule, redactedMarker, regexRule } from './redaction-rule.js';

export { type RedactionRule, redactedMarker } from './redaction-rule.js';

// ---------------------------------------------------------------------------------------------
// Assignments: `password=…`, `"token": "…"`, `{\"secret\":\"…\"}`, `--password x`, `DB_PASS=…`,
// YAML `password: hunter2`.

/** Longest key name looked at before a keyword (`aws_secret_access_key`, `spring.datasource.password`). */
const MAX_KEY = 64;
/** Longest quoted value redacted as one (a passphrase with spaces); longer ones are not closed quotes. */
const MAX_QUOTED = 1024;

/**
 * The secret words a key ends with. `pass` counts only as its own segment (`DB_PASS`, `--pass`,
 * `smtp.pass`, never `bypass`); the look-ahead keeps only words followed by a character a
 * separator can start with, so the scanner below sees few candidates.
 */
const SECRET_WORDS =
  'password|passphrase|passwd|[_.-]pass|pwd|secret|token|api[_-]?key|apikey|access[_-]?key|account[_-]?key|private[_-]?key|credentials?';
const BEFORE_SEPARATOR = '(?=[ \\t=:"\'\\\\])';
const DEFAULT_KEYWORDS = new RegExp(`(?:${SECRET_WORDS}|auth)${BEFORE_SEPARATOR}`, 'gi');
const CODE_KEYWORDS = new RegExp(`(?:${SECRET_WORDS})${BEFORE_SEPARATOR}`, 'gi');

const isKeyChar = (code: number) =>
  (code >= 48 && code <= 57) || (code >= 65 && code <= 90) || (code >= 97 && code <= 122) || code === 95 || code === 46 || code === 45;

/** Where the key name ending at `index` starts (at most {@link MAX_KEY} characters back). */
function keyStart(text: string, index: number): number {
  let start = index;
  while (start > 0 && index - start < MAX_KEY && isKeyChar(text.charCodeAt(start - 1))) start -= 1;
  return start;
}

/** End (exclusive, before the closing quote) of a quoted value opened just before `start`, or -1. */
function closingQuote(text: string, start: number, quote: string): number {
  const limit = Math.min(text.length, start + MAX_QUOTED);
  if (quote.length === 2) {
    // JSON-escaped: runs to the next `\"`.
    for (let index = start; index < limit - 1; index += 1) {
      const char = text[index];
      if (char === '\n' || char === quote[1]) return -1;
      if (char === '\\' && text[index + 1] === quote[1]) return index;
      if (char === '\\') index += 1;
    }
    return -1;
  }
  for (let index = start; index < limit; index += 1) {
    const char = text[index];
    if (char === '\\') index += 1;
    else if (char === quote) return index;
    else if (char === '\n') return -1;
  }
  return -1;
}

/** Whether an unquoted value ends before this character: whitespace, a quote, `,` `;` `&` `}`. */
function endsUnquoted(code: number): boolean {
  switch (code) {
    case 32: // space
    case 9: // \t
    case 10: // \n
    case 11: // \v
    case 12: // \f
    case 13: // \r
    case 34: // "
    case 39: // '
    case 96: // `
    case 44: // ,
    case 59: // ;
    case 38: // &
    case 125: // }
      return true;
    default:
      return false;
  }
}

/** End of an unquoted value starting at `start`: up to whitespace, a quote or a delimiter. */
function unquotedEnd(text: string, start: number): number {
  let index = start;
  while (index < text.length) {
    const code = text.charCodeAt(index);
    if (endsUnquoted(code)) break;
    if (code === 92 && (text.charCodeAt(index + 1) === 34 || text.charCodeAt(index + 1) === 39)) break; // \" or \'
    index += 1;
  }
  return index;
}

/** End of the line containing `index` (the position of `\n` or the text's end). */
function lineEnd(text: string, index: number): number {
  const newline = text.indexOf('\n', index);
  return newline === -1 ? text.length : newline;
}

/**
 * Whether only indentation (and YAML's `- ` or shell's `export `) precedes `start` on its line;
 * looks back at most 64 characters.
 */
function startsLine(text: string, start: number, allowed: RegExp): boolean {
  let from = start;
  while (from > 0 && start - from < 64 && text[from - 1] !== '\n') from -= 1;
  if (from > 0 && text[from - 1] !== '\n') return false;
  return allowed.test(text.slice(from, start));
}

const TYPE_WORDS = new Set([
  'str', 'string', 'int', 'integer', 'number', 'float', 'bool', 'boolean', 'bytes', 'any', 'unknown', 'object', 'never',
  'null', 'undefined', 'none', 'true', 'false', 'yes', 'no', 'on', 'off', 'optional', 'required', 'secretstr', 'void',
]);

/**
 * Whether an unquoted YAML value looks like code rather than a secret: a type (`password: str`,
 * `token: Token`), an identifier or a member access (`secret: config.secret`, `token: newToken`),
 * an expression or a value that goes on (`,` `;` `(` `{` `[` `|` `=`), an anchor, alias or block.
 */
function looksLikeCode(value: string, key: string): boolean {
  if (/^[$&*!|>%@{[<(]/.test(value)) return true;
  if (/[,;({[<]$/.test(value) || /[()]|\s=\s|=>|\s\|\s/.test(value)) return true;
  if (/^[A-Za-z_$][\w$]*(?:\.[A-Za-z_$][\w$]*)+$/.test(value)) return true;
  if (/^[A-Za-z_$][\w$]*\??$/.test(value)) {
    const word = value.replace(/\?$/, '');
    if (TYPE_WORDS.has(word.toLowerCase())) return true;
    if (/^[A-Z]/.test(word) || /[a-z][A-Z]/.test(word)) return true;
    if (key.toLowerCase().endsWith(word.toLowerCase())) return true;
  }
  return false;
}

type AssignmentProfile = 'default' | 'code';

/**
 * A value looked at: `[start, end)` is replaced by the marker when `redact`; otherwise the scan
 * goes on after `end`, so no character is scanned as a value twice (linear time).
 */
interface ValueSpan {
  start: number;
  end: number;
  redact: boolean;
}

/**
 * The value assigned after a keyword ending at `keyEnd`, or undefined when this keyword is not a
 * secret assignment in the profile.
 */
/** Spaces and tabs from `index`, at most 16: where they end. */
function skipBlanks(text: string, index: number): number {
  let end = index;
  while (end - index < 16 && (text.charCodeAt(end) === 32 || text.charCodeAt(end) === 9)) end += 1;
  return end;
}

/** A quote at `index` (`"`, `'`, `` ` `` when `backtick`, or JSON-escaped `\"`/`\'`), or undefined. */
function quoteAt(text: string, index: number, backtick: boolean): string | undefined {
  const code = text.charCodeAt(index);
  if (code === 34 || code === 39 || (backtick && code === 96)) return text[index];
  if (code === 92) {
    const next = text.charCodeAt(index + 1);
    if (next === 34 || next === 39) return text.slice(index, index + 2);
  }
  return undefined;
}

function assignedValue(text: string, keywordStart: number, keyEnd: number, profile: AssignmentProfile): ValueSpan | undefined {
  // The separator is checked before the key is read back, so a key is only read when it is
  // followed by `=`, `:` or spaces: key runs of different matches never overlap.
  let valueStart: number;
  let quote: string | undefined;
  let spaced = false;
  let separator: string;
  let start: number;
  // After the key: an optional closing quote (plain or JSON-escaped), blanks, `=`, `:` or `:=`,
  // blanks, an optional opening quote.
  let index = keyEnd;
  const keyQuote = quoteAt(text, index, false);
  if (keyQuote !== undefined) index += keyQuote.length;
  const beforeSeparator = skipBlanks(text, index);
  const code = text.charCodeAt(beforeSeparator);
  if (code === 58 || code === 61) {
    separator = code === 58 && text.charCodeAt(beforeSeparator + 1) === 61 ? ':=' : code === 58 ? ':' : '=';
    const afterSeparator = beforeSeparator + separator.length;
    const beforeValue = skipBlanks(text, afterSeparator);
    spaced = keyQuote !== undefined || beforeSeparator > index || beforeValue > afterSeparator;
    quote = quoteAt(text, beforeValue, true);
    valueStart = beforeValue + (quote?.length ?? 0);
    start = keyStart(text, keywordStart);
    // `password == x`, `token => x`: comparisons and arrows, not assignments.
    const next = text.charCodeAt(valueStart);
    if (quote === undefined && separator !== ':=' && (next === 61 || next === 62)) return undefined;
  } else {
    // `--password x`: blanks after a command-line flag.
    if (keyQuote !== undefined || beforeSeparator === keyEnd) return undefined;
    start = keyStart(text, keywordStart);
    if (!text.startsWith('--', start)) return undefined;
    quote = quoteAt(text, beforeSeparator, false);
    valueStart = beforeSeparator + (quote?.length ?? 0);
    separator = ' ';
  }
  const key = profile === 'code' ? text.slice(start, keyEnd) : '';

  if (quote !== undefined) {
    const close = closingQuote(text, valueStart, quote);
    if (close !== -1) {
      const value = text.slice(valueStart, close);
      if (value.length < 3 || value.startsWith(MARKER_PREFIX)) return undefined;
      if (profile === 'code' && (value.includes('${') || /^\$\w/.test(value))) return undefined;
      return { start: valueStart, end: close, redact: true };
    }
    if (profile === 'code') return undefined;
  }

  const end = unquotedEnd(text, valueStart);
  const skip = { start: valueStart, end, redact: false };
  if (end - valueStart < 3 || text.startsWith(MARKER_PREFIX, valueStart)) return skip;
  if (profile === 'default') return { start: valueStart, end, redact: true };
  const value = text.slice(valueStart, end);

  // Code profile, unquoted: a literal after a command-line flag (`--password=x`, not `$VAR`), a
  // dotenv line (`API_TOKEN=value`) or a YAML line (`password: hunter2`).
  if (key.startsWith('--')) return /^[$({<]/.test(value) ? skip : { start: valueStart, end, redact: true };
  if (separator === '=' && !spaced && /^[A-Z0-9_]+$/.test(key) && startsLine(text, start, /^[ \t]*(?:export[ \t]+)?$/)) {
    return /^[$#]/.test(value) ? skip : { start: valueStart, end, redact: true };
  }
  if (separator === ':' && quote === undefined && text[keyEnd] === ':' && /^[ \t]/.test(text[keyEnd + 1] ?? '')) {
    if (!startsLine(text, start, /^[ \t]*(?:-[ \t]+)?$/)) return skip;
    let yamlEnd = lineEnd(text, valueStart);
    const comment = text.slice(valueStart, yamlEnd).search(/[ \t]#/);
    if (comment !== -1) yamlEnd = valueStart + comment;
    while (yamlEnd > valueStart && /\s/.test(text[yamlEnd - 1] as string)) yamlEnd -= 1;
    const scalar = text.slice(valueStart, yamlEnd);
    if (scalar.length < 3 || scalar.startsWith(MARKER_PREFIX) || looksLikeCode(scalar, key)) return { ...skip, end: Math.max(end, yamlEnd) };
    return { start: valueStart, end: yamlEnd, redact: true };
  }
  return skip;
}

const SECRET_MARKER = redactedMarker('secret');

function assignmentRule(profile: AssignmentProfile): RedactionRule {
  const keywords = profile === 'code' ? CODE_KEYWORDS : DEFAULT_KEYWORDS;
  return {
    kind: 'secret-assignment',
    apply(text) {
      const pattern = new RegExp(keywords.source, keywords.flags);
      const parts: string[] = [];
      let copied = 0;
      for (let match = pattern.exec(text); match !== null; match = pattern.exec(text)) {
        const keyEnd = match.index + match[0].length;
        // `[_.-]pass` matched its leading separator too; the keyword starts after it.
        const keywordStart = /^[_.-]/.test(match[0]) ? match.index + 1 : match.index;
        const span = assignedValue(text, keywordStart, keyEnd, profile);
        if (span === undefined) continue;
        if (!span.redact) {
          pattern.lastIndex = Math.max(pattern.lastIndex, span.end);
          continue;
        }
        parts.push(text.slice(copied, span.start), SECRET_MARKER);
        copied = span.end;
        pattern.lastIndex = span.end;
      }
      if (copied === 0) return text;
      parts.push(text.slice(copied));
      return parts.join('');
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Profiles.

const RULES: RedactionRule[] = [
  privateKey,
  connectionStringRule(`[^\\s:/@'"]`, `[^\\s@/'"]`),
  regexRule('bearer', /\b(bearer|basic|token)\s{1,16}(?!\[REDACTED)[A-Za-z0-9\-._~+/]{8,}=*/gi, `$1 ${redactedMarker('credential')}`),
  ...TOKEN_RULES,
  cookies,
  assignmentRule('default'),
];

/**
 * The code-safe profile: only high-confidence secret VALUES, never identifiers or code, so a
 * model still sees `token = getToken()` or `` `Bearer ${token}` `` exactly as written (the
 * coding agent's search/replace edits must match the file byte for byte).
 */
const CODE_RULES: RedactionRule[] = [
  privateKey,
  // A literal password only (not `${password}`).
  connectionStringRule('[^\\s:/@\'"`$]', '[^\\s@/\'"`$\\{}]'),
  // Authorization: Bearer <literal>, or a bearer value that looks like a token (has a digit).
  regexRule(
    'bearer',
    /(\bauthorization["']?\s{0,16}[:=]\s{0,16}["'`]?(?:bearer|basic|token)\s{1,16})(?!\[REDACTED)[A-Za-z0-9\-._~+/]{8,}=*/gi,
    `$1${redactedMarker('credential')}`,
  ),
  regexRule('bearer', /\b(bearer\s{1,16})(?=[A-Za-z0-9\-._~+/]*\d)[A-Za-z0-9\-._~+/]{20,}=*/gi, `$1${redactedMarker('credential')}`),
  ...TOKEN_RULES,
  cookies,
  assignmentRule('code'),
];

/**
 * Which rules apply: `default` (alerts, logs, tool outputs: over-redacts, e.g. `token = x`) or
 * `code` (source files sent to the coding agent's model: secret values only, code unchanged).
 */
export type RedactionProfile = 'default' | 'code';

/** Options of {@link redactSecrets} and {@link redactValue}. */
export interface RedactionOptions {
  profile?: RedactionProfile;
}

/** The rules of a profile in the order they run (for tests and the benchmark). */
export function redactionRules(profile: RedactionProfile = 'default'): readonly RedactionRule[] {
  return profile === 'code' ? CODE_RULES : RULES;
}

/**
 * Replaces every secret found in `text`. Linear in the length of `text`; bound the size first
 * (truncate, then redact) so a huge input costs nothing more than its bounded part.
 *
 * @example
 * redactSecrets('password=hunter2 token = getToken()'); // 'password=[REDACTED:secret] token = [REDACTED:secret]'
 * redactSecrets('const key = "sk-live-0123456789abcdefghij"; token = getToken()', { profile: 'code' });
 * // 'const key = "[REDACTED:api-key]"; token = getToken()'
 */
export function redactSecrets(text: string, options: RedactionOptions = {}): string {
  let result = text;
  for (const rule of redactionRules(options.profile)) result = rule.apply(result);
  return result;
}

/** {@link redactSecrets} with the code-safe profile: what the coding agent sends. */
export function redactSecretsInCode(text: string): string {
  return redactSecrets(text, { profile: 'code' });
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== 'object') return false;
  const prototype = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
}

/**
 * Deep-redacts strings inside plain objects and arrays (other objects, such as binary file
 * parts, are kept as they are). Object keys that name a secret get their whole value replaced.
 */
export function redactValue<Value>(value: Value, options: RedactionOptions = {}): Value {
  if (typeof value === 'string') return redactSecrets(value, options) as Value;
  if (Array.isArray(value)) return value.map((item) => redactValue(item, options)) as Value;
  if (isPlainObject(value)) {
    const result: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) {
      result[key] =
        typeof item === 'string' && item.length > 0 && isSecretKey(key) ? redactedMarker('secret') : redactValue(item, options);
    }
    return result as Value;
  }
  return value;
}

const SECRET_KEY =
  /(?:password|passphrase|passwd|secret|token|api[_-]?key|apikey|access[_-]?key|account[_-]?key|private[_-]?key|credentials?|authorization|cookie|(?:^|[_.-])pass)$/i;

/** Whether an object key names a secret (`DB_PASSWORD`, `apiKey`, `Set-Cookie`); keys longer than 256 characters are not names. */
function isSecretKey(key: string): boolean {
  return key.length <= 256 && SECRET_KEY.test(key);
}
