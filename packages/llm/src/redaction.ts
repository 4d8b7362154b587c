/**
 * Secret redaction applied to everything before it is sent to a model: alert labels and
 * annotations, log lines, tool outputs, prompts. Patterns favour over-redaction: a redacted
 * harmless string costs little, a leaked credential costs a lot.
 */

/** What a secret is replaced with; names the kind so the model still understands the text. */
export const redactedMarker = (kind: string) => `[REDACTED:${kind}]`;

interface RedactionRule {
  kind: string;
  pattern: RegExp;
  /** Replacement; `$1`… keep non-secret prefixes such as `password=`. */
  replacement: string;
}

const RULES: RedactionRule[] = [
  {
    kind: 'private-key',
    pattern: /-----BEGIN [A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----[\s\S]*?(?:-----END [A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----|$)/g,
    replacement: redactedMarker('private-key'),
  },
  // scheme://user:password@host — keep scheme, user and host, drop the password.
  {
    kind: 'connection-string',
    pattern: /\b([a-z][a-z0-9+.-]*:\/\/[^\s:/@'"]*):([^\s@/'"]+)@/gi,
    replacement: `$1:${redactedMarker('password')}@`,
  },
  { kind: 'bearer', pattern: /\b(bearer|basic|token)\s+[A-Za-z0-9\-._~+/]{8,}=*/gi, replacement: `$1 ${redactedMarker('credential')}` },
  { kind: 'openai-key', pattern: /\b(?:sk|pk|rk)-(?:proj-|ant-)?[A-Za-z0-9_-]{16,}/g, replacement: redactedMarker('api-key') },
  { kind: 'stripe-key', pattern: /\b(?:sk|pk|rk)_(?:live|test)_[A-Za-z0-9]{16,}/g, replacement: redactedMarker('api-key') },
  { kind: 'github-token', pattern: /\b(?:gh[pousr]_[A-Za-z0-9]{20,}|github_pat_[A-Za-z0-9_]{20,})/g, replacement: redactedMarker('github-token') },
  { kind: 'aws-access-key', pattern: /\b(?:AKIA|ASIA|AGPA|AIDA|AROA)[A-Z0-9]{16}\b/g, replacement: redactedMarker('aws-key') },
  { kind: 'slack-token', pattern: /\bxox[abposr]-[A-Za-z0-9-]{10,}/g, replacement: redactedMarker('slack-token') },
  { kind: 'google-key', pattern: /\bAIza[0-9A-Za-z_-]{35}\b/g, replacement: redactedMarker('api-key') },
  { kind: 'jwt', pattern: /\beyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}/g, replacement: redactedMarker('jwt') },
  // key=value / key: value / "key": "value" where the key names a secret.
  {
    kind: 'secret-assignment',
    pattern:
      /((?:["']?)\b[\w.-]*(?:password|passwd|pwd|secret|token|api[_-]?key|apikey|access[_-]?key|private[_-]?key|credentials?|auth)["']?\s*[:=]\s*["']?)(?!\[REDACTED)([^\s"',;&}]{3,})/gi,
    replacement: `$1${redactedMarker('secret')}`,
  },
];

/**
 * The code-safe profile: only high-confidence secret VALUES, never identifiers or code, so a
 * model still sees `token = getToken()` or `` `Bearer ${token}` `` exactly as written (the
 * coding agent's search/replace edits must match the file byte for byte).
 */
const CODE_RULES: RedactionRule[] = [
  RULES[0] as RedactionRule,
  // scheme://user:password@host with a literal password (not `${password}`).
  {
    kind: 'connection-string',
    pattern: /\b([a-z][a-z0-9+.-]*:\/\/[^\s:/@'"`$]*):([^\s@/'"`${}]+)@/gi,
    replacement: `$1:${redactedMarker('password')}@`,
  },
  // Authorization: Bearer <literal>, or a bearer value that looks like a token (has a digit).
  {
    kind: 'bearer',
    pattern: /(\bauthorization["']?\s*[:=]\s*["'`]?(?:bearer|basic|token)\s+)[A-Za-z0-9\-._~+/]{8,}=*/gi,
    replacement: `$1${redactedMarker('credential')}`,
  },
  {
    kind: 'bearer',
    pattern: /\b(bearer\s+)(?=[A-Za-z0-9\-._~+/]*\d)[A-Za-z0-9\-._~+/]{20,}=*/gi,
    replacement: `$1${redactedMarker('credential')}`,
  },
  ...RULES.filter((rule) => ['openai-key', 'stripe-key', 'github-token', 'aws-access-key', 'slack-token', 'google-key', 'jwt'].includes(rule.kind)),
  // name = "literal" / name: 'literal' / name := "literal" where the name ends in a secret word.
  {
    kind: 'secret-assignment',
    pattern:
      /(\b[\w.-]*(?:password|passwd|pwd|secret|token|api[_-]?key|apikey|access[_-]?key|private[_-]?key|credentials?)["']?\s*(?::=|[:=])\s*)(["'`])(?!\[REDACTED)(?![^"'`\n]*\$\{)((?:(?!\2)[^\\\n]|\\.){3,}?)\2/gi,
    replacement: `$1$2${redactedMarker('secret')}$2`,
  },
  // dotenv lines: API_TOKEN=value (upper-case name, no spaces around `=`, not `$VAR`).
  {
    kind: 'secret-assignment',
    pattern:
      /^(\s*(?:export\s+)?[A-Z0-9_]*(?:PASSWORD|PASSWD|SECRET|TOKEN|API_KEY|APIKEY|ACCESS_KEY|PRIVATE_KEY)=)(?!\[REDACTED)([^\s$'"`#][^\s'"`]{2,})/gm,
    replacement: `$1${redactedMarker('secret')}`,
  },
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

/**
 * Replaces every secret found in `text`.
 *
 * @example
 * redactSecrets('password=hunter2 token = getToken()'); // 'password=[REDACTED:secret] token = [REDACTED:secret]'
 * redactSecrets('const key = "sk-live-0123456789abcdefghij"; token = getToken()', { profile: 'code' });
 * // 'const key = "[REDACTED:api-key]"; token = getToken()'
 */
export function redactSecrets(text: string, options: RedactionOptions = {}): string {
  let result = text;
  for (const rule of options.profile === 'code' ? CODE_RULES : RULES) result = result.replace(rule.pattern, rule.replacement);
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
        typeof item === 'string' && item.length > 0 && SECRET_KEY.test(key) ? redactedMarker('secret') : redactValue(item, options);
    }
    return result as Value;
  }
  return value;
}

const SECRET_KEY = /(?:password|passwd|secret|token|api[_-]?key|apikey|access[_-]?key|private[_-]?key|credentials?|authorization)$/i;
