/**
 * Inputs that would make a redaction rule slow if it rescanned text: the shape that made the
 * former rules backtrack (`a.a.a.…`), the prefixes each rule looks for, almost-secrets that fail
 * at their last character, and keys dense enough that every few characters is a candidate. Each
 * is repeated to the size measured; shared by the linear-time test and `bench/llm/redaction.ts`.
 */
export const ADVERSARIAL_FRAGMENTS: readonly string[] = [
  // Runs that made the former regular expressions backtrack.
  'a.',
  'a-',
  'a:',
  ' ',
  `${'a.'.repeat(31)}pwd: abc\n`,
  // The prefixes the token-shaped rules start with, and almost-tokens one character short.
  'a://a:a',
  '-----BEGIN A PRIVATE KEY-----',
  '-----END A',
  'bearer ',
  'bearer aaaaaaa ',
  'authorization: bearer ',
  '-eyJ',
  'eyJaaaaaaaa.',
  'eyJaaaaaaaa.aaaaaaaa.',
  '-sk-',
  'sk-aaaaaaaaaaaaaaa ',
  'glpat-',
  'glpat-aaaaaaaaaaaaaaaaaaa ',
  'hooks.slack.com/services/',
  'cookie:',
  'cookie: a=b;',
  'AccountKey=',
  // Secret-named keys, one every few characters, with every kind of separator and value.
  'pass',
  '_pass=',
  'password: ',
  'password:"',
  '"password": "',
  '{\\"password\\":\\"',
  '--password ',
  'password=abc ',
  'password: "abc" ',
  "password: '",
  'password: "\\',
  'API_TOKEN=',
  'DB_PASS=abcd\n',
  '- token: abc\n',
];

/** `fragment` repeated and cut to exactly `length` characters. */
export function repeatTo(fragment: string, length: number): string {
  return fragment.repeat(Math.ceil(length / fragment.length)).slice(0, length);
}
