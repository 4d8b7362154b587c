/**
 * Benchmark: time of every redaction rule (both profiles) on 1 MB adversarial inputs, against
 * the former regular expressions of the secret-assignment and connection-string rules on a
 * smaller input of the shape that made them quadratic (`a.a.a.…`), in the same run.
 *
 *   npx tsx bench/llm/redaction.ts [--megabytes 1] [--old-chars 40000]
 *
 * Each rule runs on every input of the list below repeated to the size (the prefixes each rule
 * looks for, and the shapes that make a backtracking rule rescan); the figure per rule is its
 * slowest input. Goal: < 100 ms per rule on 1 MB.
 */
import { parseArgs } from 'node:util';
import { redactionRules } from '../../packages/llm/src/redaction.js';

const GOAL_MS = 100;
const { values } = parseArgs({ options: { megabytes: { type: 'string', default: '1' }, 'old-chars': { type: 'string', default: '40000' } } });
const size = Math.round(Number(values.megabytes) * (1 << 20));
const oldChars = Number(values['old-chars']);

const FRAGMENTS = [
  'a.', 'a-', 'a:', ' ', 'a://a:a', '-----BEGIN A PRIVATE KEY-----', '-----END A', 'pass', '_pass=', 'password: ', '"password": "',
  '{\\"password\\":\\"', '--password ', 'bearer ', 'authorization: bearer ', '-eyJ', 'eyJaaaaaaaa.', '-sk-', 'glpat-',
  'hooks.slack.com/services/', 'cookie:', 'AccountKey=', 'API_TOKEN=', `${'a.'.repeat(31)}pwd: abc\n`,
];

/** The former rules (before linear-time redaction), kept here only to measure against. */
const OLD_RULES: [string, RegExp][] = [
  ['connection-string (old)', /\b([a-z][a-z0-9+.-]*:\/\/[^\s:/@'"]*):([^\s@/'"]+)@/gi],
  [
    'secret-assignment (old)',
    /((?:["']?)\b[\w.-]*(?:password|passwd|pwd|secret|token|api[_-]?key|apikey|access[_-]?key|private[_-]?key|credentials?|auth)["']?\s*[:=]\s*["']?)(?!\[REDACTED)([^\s"',;&}]{3,})/gi,
  ],
];

const repeatTo = (fragment: string, length: number) => fragment.repeat(Math.ceil(length / fragment.length)).slice(0, length);
const time = (run: () => void) => {
  const started = performance.now();
  run();
  return performance.now() - started;
};

const rows: { rule: string; ms: number; input: string }[] = [];
for (const profile of ['default', 'code'] as const) {
  for (const [index, rule] of redactionRules(profile).entries()) {
    let worst = { ms: 0, input: '' };
    for (const fragment of FRAGMENTS) {
      const input = repeatTo(fragment, size);
      rule.apply(input.slice(0, 4096)); // warm-up
      const ms = time(() => rule.apply(input));
      if (ms > worst.ms) worst = { ms, input: fragment };
    }
    rows.push({ rule: `${profile} #${index} ${rule.kind}`, ...worst });
  }
}

console.log(`\nredaction rules on ${(size / (1 << 20)).toFixed(2)} MB adversarial inputs (slowest input per rule)\n`);
console.log('| rule | ms | slowest input |');
console.log('|---|---|---|');
for (const row of rows) console.log(`| ${row.rule} | ${row.ms.toFixed(1)} | \`${JSON.stringify(row.input)}\` |`);

console.log(`\nformer rules on ${oldChars.toLocaleString('en')} characters of "a.a.a.…" (same run)\n`);
console.log('| rule | ms |');
console.log('|---|---|');
for (const [name, pattern] of OLD_RULES) {
  const ms = time(() => repeatTo('a.', oldChars).replace(pattern, '[x]'));
  console.log(`| ${name} | ${ms.toFixed(1)} |`);
}
const slowest = Math.max(...rows.map((row) => row.ms));
console.log(`\nslowest rule: ${slowest.toFixed(1)} ms per ${(size / (1 << 20)).toFixed(2)} MB — goal < ${GOAL_MS} ms: ${slowest < GOAL_MS ? 'met' : 'NOT met'}`);
