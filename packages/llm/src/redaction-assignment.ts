/**
 * The secret-assignment rule: `password=…`, `"token": "…"`, `{\"secret\":\"…\"}`, `--password x`,
 * `DB_PASS=…`, YAML `password: hunter2`.
 *
 * A scanner, linear in the input and cheap per candidate: one regular expression finds the next
 * secret word followed by a character a separator can start with; everything after that reads
 * character codes at fixed or bounded distances (no slices, no regular expression per
 * candidate), and the search goes on after the value looked at, so no character is scanned as a
 * value twice. Input made only of candidate keys (`password: password: …`) costs well under a
 * microsecond per key.
 */
import { MARKER_PREFIX, type RedactionRule, redactedMarker } from './redaction-rule.js';

/** The start of every redaction marker, read into this module once (see Characters below). */
const MARKER = MARKER_PREFIX;

/** Longest key name looked at before a keyword (`aws_secret_access_key`, `spring.datasource.password`). */
const MAX_KEY = 64;
/** Longest quoted value redacted as one (a passphrase with spaces); longer ones are not closed quotes. */
const MAX_QUOTED = 1024;
/** Longest indentation (with YAML's `- ` or shell's `export `) a line-start check looks back over. */
const MAX_INDENT = 64;

/**
 * The secret words a key ends with. `pass` counts only as its own segment (`DB_PASS`, `--pass`,
 * `smtp.pass`, never `bypass`); the look-ahead keeps only words followed by a character a
 * separator can start with, so the scanner sees few candidates.
 */
const SECRET_WORDS =
  'password|passphrase|passwd|[_.-]pass|pwd|secret|token|api[_-]?key|apikey|access[_-]?key|account[_-]?key|private[_-]?key|credentials?';
const BEFORE_SEPARATOR = '(?=[ \\t=:"\'\\\\])';
const DEFAULT_KEYWORDS = new RegExp(`(?:${SECRET_WORDS}|auth)${BEFORE_SEPARATOR}`, 'gi');
const CODE_KEYWORDS = new RegExp(`(?:${SECRET_WORDS})${BEFORE_SEPARATOR}`, 'gi');

// ---------------------------------------------------------------------------------------------
// Characters. Everything the scanner compares with lives in this module: a hot loop that reads an
// imported binding can cost several times as much where a test runner turns imports into getters.

const TAB = 9;
const NEWLINE = 10;
const CARRIAGE_RETURN = 13;
const SPACE = 32;
const DOUBLE_QUOTE = 34;
const HASH = 35;
const DOLLAR = 36;
const SINGLE_QUOTE = 39;
const OPEN_PAREN = 40;
const CLOSE_PAREN = 41;
const MINUS = 45;
const DOT = 46;
const COLON = 58;
const EQUALS = 61;
const GREATER = 62;
const QUESTION = 63;
const BACKSLASH = 92;
const UNDERSCORE = 95;
const BACKTICK = 96;
const OPEN_BRACE = 123;
const PIPE = 124;

const isBlank = (code: number) => code === SPACE || code === TAB;
const isDigit = (code: number) => code >= 48 && code <= 57;
const isUpper = (code: number) => code >= 65 && code <= 90;
const isLower = (code: number) => code >= 97 && code <= 122;
const isLetter = (code: number) => isUpper(code) || isLower(code);
/** `[\w$]`: a character of an identifier. */
const isIdentifierChar = (code: number) => isLetter(code) || isDigit(code) || code === UNDERSCORE || code === DOLLAR;
/** `[\w.-]`: a character of a key name. */
const isKeyChar = (code: number) => isLetter(code) || isDigit(code) || code === UNDERSCORE || code === DOT || code === MINUS;
const toLower = (code: number) => (isUpper(code) ? code + 32 : code);

/** `\s` of regular expressions. */
function isWhitespace(code: number): boolean {
  if (code === SPACE || (code >= TAB && code <= CARRIAGE_RETURN)) return true;
  return code > 127 && /\s/.test(String.fromCharCode(code));
}

/** A set of ASCII characters as a table: `set[code] === 1` for each character of `chars`. */
function characterSet(chars: string): Uint8Array {
  const set = new Uint8Array(128);
  for (const char of chars) set[char.charCodeAt(0)] = 1;
  return set;
}

/** The characters an unquoted value ends before: whitespace, a quote, `,` `;` `&` `}`. */
const UNQUOTED_ENDS = characterSet(' \t\n\v\f\r"\'`,;&}');
/** First characters of a flag's value that is no literal (`--password $VAR`, `(…)`, `{…}`, `<…>`). */
const PLACEHOLDER_STARTS = characterSet('$({<');
/** First characters of code, not of a secret: a variable, an anchor, an alias, a tag, a block, an expression. */
const CODE_STARTS = characterSet('$&*!|>%@{[<(');
/** Last characters of a value that goes on: a list, a call, a block, a type argument. */
const CODE_ENDS = characterSet(',;({[<');

// ---------------------------------------------------------------------------------------------
// Reading around a keyword.

/** Where the key name ending at `index` starts (at most {@link MAX_KEY} characters back). */
function keyStart(text: string, index: number): number {
  let start = index;
  while (start > 0 && index - start < MAX_KEY && isKeyChar(text.charCodeAt(start - 1))) start -= 1;
  return start;
}

/** Spaces and tabs from `index`, at most 16: where they end. */
function skipBlanks(text: string, index: number): number {
  let end = index;
  while (end - index < 16 && isBlank(text.charCodeAt(end))) end += 1;
  return end;
}

/**
 * A quote at `index`: `"`, `'`, `` ` `` when `backtick`, or JSON-escaped `\"`/`\'`. Returns its
 * length (0 when there is none); the quote character is then `text.charCodeAt(index + length - 1)`.
 */
function quoteLength(text: string, index: number, backtick: boolean): 0 | 1 | 2 {
  const code = text.charCodeAt(index);
  if (code === DOUBLE_QUOTE || code === SINGLE_QUOTE || (backtick && code === BACKTICK)) return 1;
  if (code === BACKSLASH) {
    const next = text.charCodeAt(index + 1);
    if (next === DOUBLE_QUOTE || next === SINGLE_QUOTE) return 2;
  }
  return 0;
}

/**
 * End (exclusive, before the closing quote) of a quoted value opened just before `start`, or -1
 * when it does not close on its line within {@link MAX_QUOTED} characters.
 */
function closingQuote(text: string, start: number, quote: number, escaped: boolean): number {
  const limit = Math.min(text.length, start + MAX_QUOTED);
  if (escaped) {
    // JSON-escaped: runs to the next `\"`.
    for (let index = start; index < limit - 1; index += 1) {
      const code = text.charCodeAt(index);
      if (code === NEWLINE || code === quote) return -1;
      if (code === BACKSLASH) {
        if (text.charCodeAt(index + 1) === quote) return index;
        index += 1;
      }
    }
    return -1;
  }
  for (let index = start; index < limit; index += 1) {
    const code = text.charCodeAt(index);
    if (code === BACKSLASH) index += 1;
    else if (code === quote) return index;
    else if (code === NEWLINE) return -1;
  }
  return -1;
}

/** End of an unquoted value starting at `start`: up to whitespace, a quote, a delimiter or `\"`/`\'`. */
function unquotedEnd(text: string, start: number): number {
  let index = start;
  while (index < text.length) {
    const code = text.charCodeAt(index);
    if (UNQUOTED_ENDS[code] === 1) break;
    if (code === BACKSLASH) {
      const next = text.charCodeAt(index + 1);
      if (next === DOUBLE_QUOTE || next === SINGLE_QUOTE) break;
    }
    index += 1;
  }
  return index;
}

const isLineStart = (text: string, index: number) => index === 0 || text.charCodeAt(index - 1) === NEWLINE;

/**
 * Whether only indentation, optionally followed by `word` and blanks (YAML's `- `, shell's
 * `export `), precedes `start` on its line: `[ \t]*(?:word[ \t]+)?`, at most {@link MAX_INDENT}
 * characters. Reads backwards and stops at the first character that does not fit.
 */
function startsLine(text: string, start: number, word: string): boolean {
  const limit = Math.max(0, start - MAX_INDENT);
  let index = start;
  while (index > limit && isBlank(text.charCodeAt(index - 1))) index -= 1;
  if (isLineStart(text, index)) return true;
  if (index === start || index - word.length < limit) return false;
  for (let offset = 1; offset <= word.length; offset += 1) {
    if (text.charCodeAt(index - offset) !== word.charCodeAt(word.length - offset)) return false;
  }
  index -= word.length;
  while (index > limit && isBlank(text.charCodeAt(index - 1))) index -= 1;
  return isLineStart(text, index);
}

/** Whether a command-line flag (`--password`) starts at `index`. */
const isFlag = (text: string, index: number) => text.charCodeAt(index) === MINUS && text.charCodeAt(index + 1) === MINUS;

/** Whether `[from, to)` starts with the redaction marker (an already redacted value). */
const isMarker = (text: string, from: number, to: number) => to - from >= MARKER.length && text.startsWith(MARKER, from);

/** Whether `[from, to)` is a placeholder, not a literal: contains `${` or starts with `$` and a word character. */
function isPlaceholder(text: string, from: number, to: number): boolean {
  const first = text.charCodeAt(from);
  if (first === DOLLAR && from + 1 < to) {
    const next = text.charCodeAt(from + 1);
    if (isLetter(next) || isDigit(next) || next === UNDERSCORE) return true;
  }
  for (let index = from; index < to - 1; index += 1) {
    if (text.charCodeAt(index) === DOLLAR && text.charCodeAt(index + 1) === OPEN_BRACE) return true;
  }
  return false;
}

/** Whether every character of `[from, to)` is `[A-Z0-9_]` (a dotenv name). */
function isConstantName(text: string, from: number, to: number): boolean {
  for (let index = from; index < to; index += 1) {
    const code = text.charCodeAt(index);
    if (!isUpper(code) && !isDigit(code) && code !== UNDERSCORE) return false;
  }
  return to > from;
}

// ---------------------------------------------------------------------------------------------
// Code or secret: whether an unquoted YAML value (code profile) is code, read in place.

/** Whether `[from, to)` ends with `[suffixFrom, suffixTo)`, ignoring ASCII case. */
function endsWithIgnoringCase(text: string, from: number, to: number, suffixFrom: number, suffixTo: number): boolean {
  const length = suffixTo - suffixFrom;
  if (length > to - from) return false;
  for (let offset = 1; offset <= length; offset += 1) {
    if (toLower(text.charCodeAt(to - offset)) !== toLower(text.charCodeAt(suffixTo - offset))) return false;
  }
  return true;
}

const TYPE_WORDS = new Set([
  'str', 'string', 'int', 'integer', 'number', 'float', 'bool', 'boolean', 'bytes', 'any', 'unknown', 'object', 'never',
  'null', 'undefined', 'none', 'true', 'false', 'yes', 'no', 'on', 'off', 'optional', 'required', 'secretstr', 'void',
]);
/** The type words by length (`TYPE_WORDS_BY_LENGTH[3]`: `str`, `int`, …), so a word is compared in place with the few of its length. */
const TYPE_WORDS_BY_LENGTH: readonly string[][] = Array.from({ length: Math.max(...[...TYPE_WORDS].map((word) => word.length)) + 1 }, (_, length) =>
  [...TYPE_WORDS].filter((word) => word.length === length),
);

/** Whether `[from, to)` is one of {@link TYPE_WORDS}, ignoring ASCII case. */
function isTypeWord(text: string, from: number, to: number): boolean {
  const candidates = TYPE_WORDS_BY_LENGTH[to - from];
  if (candidates === undefined) return false;
  for (const word of candidates) {
    let index = 0;
    while (index < word.length && toLower(text.charCodeAt(from + index)) === word.charCodeAt(index)) index += 1;
    if (index === word.length) return true;
  }
  return false;
}

/**
 * Whether the unquoted YAML value `[from, to)` (of the key `[keyFrom, keyTo)`) looks like code
 * rather than a secret: a type (`password: str`, `token: Token`), an identifier or a member
 * access (`secret: config.secret`, `token: newToken`, `password: password`), an expression or a
 * value that goes on (`,` `;` `(` `{` `[` `|` `=`), an anchor, alias or block. One pass.
 */
function looksLikeCode(text: string, from: number, to: number, keyFrom: number, keyTo: number): boolean {
  if (CODE_STARTS[text.charCodeAt(from)] === 1 || CODE_ENDS[text.charCodeAt(to - 1)] === 1) return true;
  // An expression anywhere (`(`, `)`, `=>`, ` = `, ` | `); meanwhile the shape of `a.b.c` or `a?`.
  let segments = 1;
  let segmentStart = from;
  let identifier = true;
  let optional = false;
  for (let index = from; index < to; index += 1) {
    const code = text.charCodeAt(index);
    if (code === OPEN_PAREN || code === CLOSE_PAREN) return true;
    if (code === EQUALS && index + 1 < to && text.charCodeAt(index + 1) === GREATER) return true;
    if (index + 2 < to && isWhitespace(code)) {
      const middle = text.charCodeAt(index + 1);
      if ((middle === EQUALS || middle === PIPE) && isWhitespace(text.charCodeAt(index + 2))) return true;
    }
    if (!identifier) continue;
    if (code === DOT && index > segmentStart) {
      segments += 1;
      segmentStart = index + 1;
    } else if (code === QUESTION && index === to - 1 && index > segmentStart && segments === 1) {
      optional = true;
    } else if (index === segmentStart ? !(isLetter(code) || code === UNDERSCORE || code === DOLLAR) : !isIdentifierChar(code)) {
      identifier = false;
    }
  }
  if (!identifier || segmentStart === to) return false;
  if (segments > 1) return true;
  const wordEnd = optional ? to - 1 : to;
  if (isUpper(text.charCodeAt(from))) return true;
  for (let index = from; index < wordEnd - 1; index += 1) {
    if (isLower(text.charCodeAt(index)) && isUpper(text.charCodeAt(index + 1))) return true;
  }
  if (isTypeWord(text, from, wordEnd)) return true;
  return endsWithIgnoringCase(text, keyFrom, keyTo, from, wordEnd);
}

// ---------------------------------------------------------------------------------------------
// The rule.

type AssignmentProfile = 'default' | 'code';

/**
 * The assignment the scanner looks at: how its value is introduced after a secret word, and
 * where the value ends. One per `apply`, refilled for every candidate (nothing is allocated per
 * candidate).
 */
interface Assignment {
  /** Start of the whole key name (`DB_PASSWORD`, `--db-pass`, `spring.datasource.password`). */
  keyFrom: number;
  separator: '=' | ':' | ':=' | ' ';
  /** Blanks or a closing quote between the key and the value (`token = x`, `"token": x`). */
  spaced: boolean;
  /** Character code of the value's opening quote; 0 when unquoted. */
  quote: number;
  /** The quote is JSON-escaped (`\"`). */
  escaped: boolean;
  valueStart: number;
  /** End of the value looked at (exclusive): redacted up to here, or skipped (the scan goes on after it). */
  valueEnd: number;
}

/** What to do with a candidate: nothing (not an assignment), skip its value, or redact it. */
type Outcome = 'none' | 'skip' | 'redact';

/**
 * After the secret word ending at `keyEnd`: an optional closing quote (plain or JSON-escaped),
 * blanks, `=`, `:` or `:=`, blanks, an optional opening quote — or, after a command-line flag,
 * blanks. False when this is no assignment (`password == x`, `token => x`, `the token is`).
 */
function readAssignment(text: string, keywordStart: number, keyEnd: number, assignment: Assignment): boolean {
  // The separator is checked before the key is read back, so a key is only read when it is
  // followed by `=`, `:` or blanks: key runs of different matches never overlap.
  const keyQuote = quoteLength(text, keyEnd, false);
  const afterKey = keyEnd + keyQuote;
  const beforeSeparator = skipBlanks(text, afterKey);
  const code = text.charCodeAt(beforeSeparator);
  let quote: number;
  if (code === COLON || code === EQUALS) {
    const separator = code === EQUALS ? '=' : text.charCodeAt(beforeSeparator + 1) === EQUALS ? ':=' : ':';
    const afterSeparator = beforeSeparator + separator.length;
    const beforeValue = skipBlanks(text, afterSeparator);
    quote = quoteLength(text, beforeValue, true);
    assignment.valueStart = beforeValue + quote;
    const next = text.charCodeAt(assignment.valueStart);
    if (quote === 0 && separator !== ':=' && (next === EQUALS || next === GREATER)) return false;
    assignment.keyFrom = keyStart(text, keywordStart);
    assignment.separator = separator;
    assignment.spaced = keyQuote > 0 || beforeSeparator > afterKey || beforeValue > afterSeparator;
  } else {
    if (keyQuote > 0 || beforeSeparator === keyEnd) return false;
    assignment.keyFrom = keyStart(text, keywordStart);
    if (!isFlag(text, assignment.keyFrom)) return false;
    quote = quoteLength(text, beforeSeparator, false);
    assignment.valueStart = beforeSeparator + quote;
    assignment.separator = ' ';
    assignment.spaced = false;
  }
  assignment.quote = quote === 0 ? 0 : text.charCodeAt(assignment.valueStart - 1);
  assignment.escaped = quote === 2;
  return true;
}

/**
 * Code profile, unquoted value from `valueStart` to `valueEnd`: redacted only as a literal after
 * a command-line flag (`--password=x`, not `$VAR`), on a dotenv line (`API_TOKEN=value`) or on a
 * YAML line (`password: hunter2`, up to a comment, unless it looks like code).
 */
function codeValue(text: string, keyEnd: number, assignment: Assignment): Outcome {
  const { keyFrom, separator, valueStart } = assignment;
  const first = text.charCodeAt(valueStart);
  if (isFlag(text, keyFrom)) return PLACEHOLDER_STARTS[first] === 1 ? 'skip' : 'redact';
  if (separator === '=' && !assignment.spaced && isConstantName(text, keyFrom, keyEnd) && startsLine(text, keyFrom, 'export')) {
    return first === DOLLAR || first === HASH ? 'skip' : 'redact';
  }
  if (separator !== ':' || assignment.quote !== 0 || text.charCodeAt(keyEnd) !== COLON || !isBlank(text.charCodeAt(keyEnd + 1))) return 'skip';
  if (!startsLine(text, keyFrom, '-')) return 'skip';
  const newline = text.indexOf('\n', valueStart);
  const lineEnd = newline === -1 ? text.length : newline;
  let yamlEnd = lineEnd;
  for (let index = valueStart; index < lineEnd - 1; index += 1) {
    if (isBlank(text.charCodeAt(index)) && text.charCodeAt(index + 1) === HASH) {
      yamlEnd = index;
      break;
    }
  }
  while (yamlEnd > valueStart && isWhitespace(text.charCodeAt(yamlEnd - 1))) yamlEnd -= 1;
  if (yamlEnd - valueStart < 3 || isMarker(text, valueStart, yamlEnd) || looksLikeCode(text, valueStart, yamlEnd, keyFrom, keyEnd)) {
    assignment.valueEnd = Math.max(assignment.valueEnd, yamlEnd);
    return 'skip';
  }
  assignment.valueEnd = yamlEnd;
  return 'redact';
}

/** The value assigned after the secret word `[keywordStart, keyEnd)`: what to do with it, its span in `assignment`. */
function assignedValue(text: string, keywordStart: number, keyEnd: number, profile: AssignmentProfile, assignment: Assignment): Outcome {
  if (!readAssignment(text, keywordStart, keyEnd, assignment)) return 'none';
  const { valueStart, quote } = assignment;
  if (quote !== 0) {
    const close = closingQuote(text, valueStart, quote, assignment.escaped);
    if (close !== -1) {
      if (close - valueStart < 3 || isMarker(text, valueStart, close)) return 'none';
      if (profile === 'code' && isPlaceholder(text, valueStart, close)) return 'none';
      assignment.valueEnd = close;
      return 'redact';
    }
    // An unclosed quote: the code profile leaves it; the default profile redacts the first word.
    if (profile === 'code') return 'none';
  }
  assignment.valueEnd = unquotedEnd(text, valueStart);
  if (assignment.valueEnd - valueStart < 3 || text.startsWith(MARKER, valueStart)) return 'skip';
  if (profile === 'default') return 'redact';
  return codeValue(text, keyEnd, assignment);
}

const SECRET_MARKER = redactedMarker('secret');

/**
 * The secret-assignment rule of a profile: `default` redacts every value assigned to a
 * secret-named key (`token = x` included); `code` only literals (quoted, after a flag, dotenv
 * and YAML lines), never code such as `token = getToken()`.
 */
export function assignmentRule(profile: AssignmentProfile): RedactionRule {
  const keywords = profile === 'code' ? CODE_KEYWORDS : DEFAULT_KEYWORDS;
  return {
    kind: 'secret-assignment',
    apply(text) {
      const pattern = new RegExp(keywords.source, keywords.flags);
      const assignment: Assignment = { keyFrom: 0, separator: '=', spaced: false, quote: 0, escaped: false, valueStart: 0, valueEnd: 0 };
      let result = '';
      let copied = 0;
      for (let match = pattern.exec(text); match !== null; match = pattern.exec(text)) {
        const keyEnd = match.index + match[0].length;
        // `[_.-]pass` matched its leading separator too; the keyword starts after it.
        const keywordStart = isLetter(text.charCodeAt(match.index)) ? match.index : match.index + 1;
        const outcome = assignedValue(text, keywordStart, keyEnd, profile, assignment);
        if (outcome === 'none') continue;
        if (outcome === 'skip') {
          pattern.lastIndex = Math.max(pattern.lastIndex, assignment.valueEnd);
          continue;
        }
        // Concatenation builds a rope that is flattened once: cheaper than collecting parts.
        result += text.slice(copied, assignment.valueStart) + SECRET_MARKER;
        copied = assignment.valueEnd;
        pattern.lastIndex = copied;
      }
      return copied === 0 ? text : result + text.slice(copied);
    },
  };
}
