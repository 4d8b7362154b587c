/**
 * Benchmark: time of every redaction rule (both profiles) on every adversarial input of 1 MB,
 * against the goal of < 100 ms per rule and MB, and against the former regular expressions of
 * the secret-assignment and connection-string rules on a smaller input of the shape that made
 * them quadratic (`a.a.a.…`), in the same run.
 *
 *   npx tsx bench/llm/redaction.ts [--megabytes 1] [--runs 5] [--old-chars 40000]
 *
 * The inputs are `packages/llm/test/adversarial-inputs.ts` (the linear-time test's), each
 * repeated to the size. Per rule and input: one warm-up call, then the fastest of `--runs` calls,
 * in CPU ms per MB (the process's CPU time: what the rule costs, without the time spent waiting
 * for a core on a busy machine, which is what the machine costs) and in wall-clock ms per MB.
 * The goal is judged on both: CPU time stands for a quiet machine, wall-clock time is what this
 * one showed at the load average printed. Prints a matrix of every rule on every input (CPU),
 * then per rule its slowest input with both figures, its growth from 1/10 of the input, PASS/FAIL.
 */
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { redactionRules } from '../../packages/llm/src/redaction.js';
import { ADVERSARIAL_FRAGMENTS, repeatTo } from '../../packages/llm/test/adversarial-inputs.js';

const GOAL_MS_PER_MB = 100;
const { values } = parseArgs({
  options: {
    megabytes: { type: 'string', default: '1' },
    runs: { type: 'string', default: '5' },
    'old-chars': { type: 'string', default: '40000' },
  },
});
const megabytes = Number(values.megabytes);
const size = Math.round(megabytes * (1 << 20));
const runs = Number(values.runs);
const oldChars = Number(values['old-chars']);

/** The former rules (before linear-time redaction), kept here only to measure against. */
const OLD_RULES: [string, RegExp][] = [
  ['connection-string (former)', /\b([a-z][a-z0-9+.-]*:\/\/[^\s:/@'"]*):([^\s@/'"]+)@/gi],
  [
    'secret-assignment (former)',
    /((?:["']?)\b[\w.-]*(?:password|passwd|pwd|secret|token|api[_-]?key|apikey|access[_-]?key|private[_-]?key|credentials?|auth)["']?\s*[:=]\s*["']?)(?!\[REDACTED)([^\s"',;&}]{3,})/gi,
  ],
];

interface Timing {
  wall: number;
  cpu: number;
}

/** Wall-clock and CPU milliseconds of the fastest of `runs` calls (each figure its own fastest). */
function fastest(run: () => unknown, count: number): Timing {
  const best = { wall: Number.POSITIVE_INFINITY, cpu: Number.POSITIVE_INFINITY };
  for (let index = 0; index < count; index += 1) {
    const cpuStarted = process.cpuUsage();
    const started = performance.now();
    run();
    const wall = performance.now() - started;
    const { user, system } = process.cpuUsage(cpuStarted);
    best.wall = Math.min(best.wall, wall);
    best.cpu = Math.min(best.cpu, (user + system) / 1000);
  }
  return best;
}

const load = () =>
  loadavg()
    .map((value) => value.toFixed(2))
    .join(' / ');
const verdict = (ms: number) => (ms < GOAL_MS_PER_MB ? 'PASS' : 'FAIL');
const loadAtStart = load();

const rules = (['default', 'code'] as const).flatMap((profile) =>
  redactionRules(profile).map((rule, index) => ({ id: `${profile[0]}${index}`, name: `${profile} #${index} ${rule.kind}`, rule })),
);
const inputs = ADVERSARIAL_FRAGMENTS.map((fragment) => ({ fragment, text: repeatTo(fragment, size), small: repeatTo(fragment, Math.round(size / 10)) }));

// timings[input][rule], in ms per MB.
const timings: Timing[][] = inputs.map(({ text }) =>
  rules.map(({ rule }) => {
    rule.apply(text); // warm-up: compiled, heap grown
    const timing = fastest(() => rule.apply(text), runs);
    return { wall: timing.wall / megabytes, cpu: timing.cpu / megabytes };
  }),
);

console.log(`\nredaction rules on ${megabytes} MB of each adversarial input: CPU ms per MB, fastest of ${runs} runs after a warm-up`);
console.log(`${new Date().toISOString()}, node ${process.version}, load average (1/5/15 min) at start ${loadAtStart}\n`);
console.log(`rules: ${rules.map(({ id, name }) => `${id} = ${name}`).join(', ')}\n`);
console.log(`| input | ${rules.map(({ id }) => id).join(' | ')} |`);
console.log(`|---|${rules.map(() => '---:').join('|')}|`);
for (const [inputIndex, { fragment }] of inputs.entries()) {
  const row = timings[inputIndex]!.map((timing) => (timing.cpu < 10 ? timing.cpu.toFixed(1) : timing.cpu.toFixed(0)));
  console.log(`| \`${JSON.stringify(fragment).slice(0, 28)}\` | ${row.join(' | ')} |`);
}

console.log(`\nper rule, its slowest input (by CPU time); goal < ${GOAL_MS_PER_MB} ms per MB\n`);
console.log('| rule | slowest input | CPU ms per MB | goal | wall ms per MB | goal | CPU time ×, 1/10 of the input → all of it |');
console.log('|---|---|---:|---|---:|---|---:|');
const slowest = { cpu: 0, wall: 0 };
for (const [ruleIndex, { name, rule }] of rules.entries()) {
  let worst = 0;
  for (let inputIndex = 1; inputIndex < inputs.length; inputIndex += 1) {
    if (timings[inputIndex]![ruleIndex]!.cpu > timings[worst]![ruleIndex]!.cpu) worst = inputIndex;
  }
  const timing = timings[worst]![ruleIndex]!;
  const { small, fragment } = inputs[worst]!;
  rule.apply(small);
  const growth = (timing.cpu * megabytes) / fastest(() => rule.apply(small), runs).cpu;
  slowest.cpu = Math.max(slowest.cpu, timing.cpu);
  slowest.wall = Math.max(slowest.wall, ...timings.map((row) => row[ruleIndex]!.wall));
  console.log(
    `| ${name} | \`${JSON.stringify(fragment).slice(0, 28)}\` | ${timing.cpu.toFixed(1)} | ${verdict(timing.cpu)} | ${timing.wall.toFixed(1)} | ${verdict(timing.wall)} | ${growth.toFixed(1)} |`,
  );
}

if (oldChars > 0) {
  console.log(`\nformer rules on ${oldChars.toLocaleString('en')} characters of "a.a.a.…" (same run)\n`);
  console.log('| rule | CPU ms | wall ms |');
  console.log('|---|---:|---:|');
  for (const [name, pattern] of OLD_RULES) {
    const text = repeatTo('a.', oldChars);
    const timing = fastest(() => text.replace(pattern, '[x]'), 1);
    console.log(`| ${name} | ${timing.cpu.toFixed(0)} | ${timing.wall.toFixed(0)} |`);
  }
}

console.log(`\nload average at end ${load()}`);
console.log(`slowest rule and input, CPU time: ${slowest.cpu.toFixed(1)} ms per MB — goal < ${GOAL_MS_PER_MB} ms per MB: ${verdict(slowest.cpu)}`);
console.log(`slowest rule and input, wall-clock time at this load: ${slowest.wall.toFixed(1)} ms per MB: ${verdict(slowest.wall)}`);
