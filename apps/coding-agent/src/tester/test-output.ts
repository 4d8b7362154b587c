/** Per-test outcomes read from TAP (`node --test`, many JS runners), pytest or `python -m unittest -v` output. */
export function parseTestOutcomes(output: string): { name: string; passed: boolean }[] | undefined {
  const outcomes = new Map<string, boolean>();
  for (const line of output.split('\n')) {
    const tap = /^\s*(not )?ok \d+ - (.+?)(?:\s+#\s*(SKIP|TODO).*)?$/.exec(line);
    if (tap?.[2]) {
      outcomes.set(tap[2].trim(), tap[1] === undefined || tap[3] !== undefined);
      continue;
    }
    const unittest = /^(\w+) \(([\w.]+)\)(?: \.\.\. |.* \.\.\. )(ok|FAIL|ERROR|skipped|expected failure|unexpected success)\b/.exec(line);
    if (unittest?.[1] && unittest[2]) {
      const name = unittest[2].endsWith(`.${unittest[1]}`) ? unittest[2] : `${unittest[2]}.${unittest[1]}`;
      outcomes.set(name, ['ok', 'skipped', 'expected failure'].includes(unittest[3] ?? ''));
      continue;
    }
    const pytest = /^(PASSED|FAILED|ERROR)\s+(\S+)/.exec(line) ?? /^(\S+::\S+)\s+(PASSED|FAILED|ERROR)/.exec(line);
    if (pytest) {
      const [status, name] = pytest[1]?.includes('::') ? [pytest[2], pytest[1]] : [pytest[1], pytest[2]];
      if (name) outcomes.set(name, status === 'PASSED');
    }
  }
  if (outcomes.size === 0) return undefined;
  return [...outcomes].map(([name, passed]) => ({ name, passed }));
}

/** Test output with volatile parts (durations, paths of temp dirs, pids) removed: for loop detection. */
export function normalizeTestOutput(output: string): string {
  return output
    .replace(/duration_ms:?\s*[\d.]+/g, 'duration_ms')
    .replace(/\b\d+(\.\d+)?\s*(ms|s)\b/g, 'T')
    .replace(/\/tmp\/[^\s'"]+/g, '/tmp/X')
    .replace(/\bpid\s*\d+/gi, 'pid')
    .trim();
}
