import { MARKER_PREFIX, type RedactionRule, redactedMarker, regexRule } from './redaction-rule.js';

/** Redaction rules for secrets with a recognisable shape: keys, tokens, connection strings, cookies. */

// ---------------------------------------------------------------------------------------------
// Token-shaped secrets: each pattern starts with its fixed prefix.

export const privateKey = regexRule(
  'private-key',
  /-----BEGIN [A-Z0-9 ]{0,64}PRIVATE KEY(?: BLOCK)?-----[\s\S]*?(?:-----END [A-Z0-9 ]{0,64}PRIVATE KEY(?: BLOCK)?-----|$)/g,
  redactedMarker('private-key'),
);

/**
 * `scheme://user:password@host`: keeps scheme, user and host. The match starts at `://` (a
 * literal), so the scheme is checked by a one-character look-behind instead of being rescanned
 * from every letter of a long word.
 */
export function connectionStringRule(userClass: string, passwordClass: string): RedactionRule {
  const pattern = new RegExp(`(?<=[a-z0-9+.-]):\\/\\/(${userClass}{0,256}):(?!\\[REDACTED)${passwordClass}{1,256}@`, 'gi');
  return regexRule('connection-string', pattern, `://$1:${redactedMarker('password')}@`);
}

export const TOKEN_RULES: RedactionRule[] = [
  { kind: 'openai-key', pattern: /\b(?:sk|pk|rk)-(?:proj-|ant-)?[A-Za-z0-9_-]{16,}/g, replacement: redactedMarker('api-key') },
  { kind: 'stripe-key', pattern: /\b(?:sk|pk|rk)_(?:live|test)_[A-Za-z0-9]{16,}/g, replacement: redactedMarker('api-key') },
  { kind: 'github-token', pattern: /\b(?:gh[pousr]_[A-Za-z0-9]{20,}|github_pat_[A-Za-z0-9_]{20,})/g, replacement: redactedMarker('github-token') },
  { kind: 'gitlab-token', pattern: /\bglpat-[A-Za-z0-9_-]{20,}/g, replacement: redactedMarker('gitlab-token') },
  { kind: 'npm-token', pattern: /\bnpm_[A-Za-z0-9]{36,}/g, replacement: redactedMarker('npm-token') },
  { kind: 'huggingface-token', pattern: /\bhf_[A-Za-z0-9]{30,}/g, replacement: redactedMarker('huggingface-token') },
  { kind: 'aws-access-key', pattern: /\b(?:AKIA|ASIA|AGPA|AIDA|AROA)[A-Z0-9]{16}\b/g, replacement: redactedMarker('aws-key') },
  { kind: 'slack-token', pattern: /\bxox[abposr]-[A-Za-z0-9-]{10,}/g, replacement: redactedMarker('slack-token') },
  {
    kind: 'slack-webhook',
    pattern: /\bhooks\.slack\.com\/(services|workflows|triggers)\/[A-Za-z0-9_/-]+/g,
    replacement: `hooks.slack.com/$1/${redactedMarker('slack-webhook')}`,
  },
  { kind: 'google-key', pattern: /\bAIza[0-9A-Za-z_-]{35}\b/g, replacement: redactedMarker('api-key') },
  // A JWT must not start inside a longer run of its own characters (`-eyJ-eyJ…`): each start
  // would rescan the rest of the run.
  {
    kind: 'jwt',
    pattern: /(?<![A-Za-z0-9_-])eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}/g,
    replacement: redactedMarker('jwt'),
  },
  // Azure storage / Service Bus connection strings: `AccountKey=…;`, `SharedAccessKey=…;`.
  { kind: 'azure-key', pattern: /\b(AccountKey|SharedAccessKey)=(?!\[REDACTED)[A-Za-z0-9+/=]{8,}/g, replacement: `$1=${redactedMarker('azure-key')}` },
].map((rule) => regexRule(rule.kind, rule.pattern, rule.replacement));

// ---------------------------------------------------------------------------------------------
// Cookies: `Cookie: a=1; b=2` and `Set-Cookie: session=…; Path=/; HttpOnly`.

const COOKIE_ATTRIBUTES = new Set(['path', 'domain', 'expires', 'max-age', 'samesite', 'priority', 'partitioned']);
const COOKIE_LINE = /\b((?:set-)?cookie[ \t]{0,8}:[ \t]{0,8})([^\r\n]{1,8192})/gi;

/** `a=1; b=2` → `a=[REDACTED:cookie]; b=[REDACTED:cookie]`, attributes (`Path=/`) kept. */
function redactCookiePairs(pairs: string): string {
  return pairs
    .split(';')
    .map((pair) => {
      const equals = pair.indexOf('=');
      if (equals === -1) return pair;
      const name = pair.slice(0, equals);
      const value = pair.slice(equals + 1);
      if (value.trim().length === 0 || value.startsWith(MARKER_PREFIX) || COOKIE_ATTRIBUTES.has(name.trim().toLowerCase())) return pair;
      return `${name}=${redactedMarker('cookie')}`;
    })
    .join(';');
}

export const cookies: RedactionRule = {
  kind: 'cookie',
  apply: (text) => text.replace(COOKIE_LINE, (_line, header: string, pairs: string) => header + redactCookiePairs(pairs)),
};
