/**
 * Secret redaction applied to everything before it is sent to a model: alert labels and
 * annotations, log lines, tool outputs, prompts. Patterns favour over-redaction: a redacted
 * harmless string costs little, a leaked credential costs a lot.
 *
 * Every rule runs in time linear in the input, whatever the input: regular expressions start
 * with a literal or a keyword and use bounded quantifiers only where a failed match could
 * otherwise rescan the same characters from each starting position, and `key = value`
 * assignments are found by a scanner (`redaction-assignment.ts`: a keyword search, then checks
 * of character codes at bounded distances around it) instead of one regular expression with a
 * leading `[\w.-]*`. Callers still bound the size first: redaction is linear, not free.
 */
import { assignmentRule } from './redaction-assignment.js';
import { connectionStringRule, cookies, privateKey, TOKEN_RULES } from './redaction-patterns.js';
import { type RedactionRule, redactedMarker, regexRule } from './redaction-rule.js';

export { type RedactionRule, redactedMarker } from './redaction-rule.js';

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
