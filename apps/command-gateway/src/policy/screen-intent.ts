import { ACCEPTED_EXAMPLES, type Rejection } from './rejection.js';

/**
 * The first gate, before any interpreter reads an intent: the gateway never runs a shell, never
 * creates, execs into, removes or prunes containers, and never passes flags. Intents that ask for
 * any of that, or that carry shell syntax, are refused here so that no interpreter (rules or an
 * LLM) ever sees them.
 */
const SHELL_SYNTAX: { pattern: RegExp; what: string }[] = [
  { pattern: /;/, what: '";"' },
  { pattern: /&/, what: '"&"' },
  { pattern: /\|/, what: '"|"' },
  { pattern: /\$/, what: '"$"' },
  { pattern: /`/, what: 'a backtick' },
  { pattern: /[<>]/, what: 'a redirection' },
  { pattern: /\\/, what: 'a backslash' },
  { pattern: /[\r\n\t\v\f]/, what: 'a line break or control character' },
  { pattern: /\p{Cc}|\p{Cf}/u, what: 'an invisible control or formatting character' },
  { pattern: /\.\.\//, what: '"../"' },
  { pattern: /\.\.$|\/\.\./, what: 'a ".." path' },
];

/** Docker verbs and words the gateway refuses outright, whatever else the intent says. */
const FORBIDDEN_WORDS = [
  'run',
  'exec',
  'rm',
  'rmi',
  'remove',
  'delete',
  'destroy',
  'prune',
  'kill',
  'create',
  'pull',
  'push',
  'build',
  'commit',
  'cp',
  'attach',
  'rename',
  'update',
  'mount',
  'volume',
  'privileged',
  'sudo',
  'shell',
  'sh',
  'bash',
  'eval',
  'chmod',
  'chown',
  'curl',
  'wget',
];

const FORBIDDEN_PATTERN = new RegExp(`(?:^|[^a-z0-9_-])(${FORBIDDEN_WORDS.join('|')})(?![a-z0-9_-])`, 'i');
/** A command-line flag: `-v`, `--privileged`, `--network=host`. */
const FLAG_PATTERN = /(?:^|\s)--?[a-z]/i;
/** A host path such as `/:/host` or `/etc`. */
const PATH_PATTERN = /(?:^|\s)\/[a-z0-9_.:/-]*/i;

/** `undefined` when the intent may be interpreted, otherwise the rejection. */
export function screenIntent(intent: string): Rejection | undefined {
  const refuse = (why: string): Rejection => ({
    code: 'forbidden_intent',
    reason: `${why}; the gateway performs only restart, start, stop, logs, inspect, stats and list on an allowlisted container, never a shell command`,
    accepted_examples: ACCEPTED_EXAMPLES,
  });
  for (const { pattern, what } of SHELL_SYNTAX) {
    if (pattern.test(intent)) return refuse(`the intent contains ${what}`);
  }
  const word = FORBIDDEN_PATTERN.exec(intent);
  if (word) return refuse(`the intent asks for "${word[1]?.toLowerCase()}", which the gateway never does`);
  if (FLAG_PATTERN.test(intent)) return refuse('the intent contains a command-line flag');
  if (PATH_PATTERN.test(intent)) return refuse('the intent contains a file-system path');
  return undefined;
}
