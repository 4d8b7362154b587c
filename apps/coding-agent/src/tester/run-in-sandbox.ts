import type { Sandbox } from '../sandbox/sandbox.js';
import type { TestRun } from '../tasks/task.js';
import { parseTestOutcomes } from './test-output.js';

export interface RunLimits {
  timeoutMs: number;
  memoryBytes: number;
  outputLimitBytes?: number;
  /** The workspace may not grow past this while the command runs (MAX_WORKSPACE_SIZE). */
  workspaceLimitBytes?: number;
  /** Largest single file the command may write. */
  fileSizeLimitBytes?: number;
  /** Host paths mounted read-only (e.g. a shared toolchain). */
  readOnlyPaths?: string[];
  signal?: AbortSignal;
}

const OUTPUT_KEPT = 6000;

/**
 * Runs one install/check/test command in the sandbox and reports it as a {@link TestRun}:
 * passed only on exit code 0 without timeout or memory kill; per-test outcomes when parseable.
 */
export async function runInSandbox(sandbox: Sandbox, workspace: string, command: string[], limits: RunLimits): Promise<TestRun> {
  const result = await sandbox.run({
    workspace,
    command,
    env: {
      PATH: `${workspace}/node_modules/.bin:/usr/local/bin:/usr/bin:/bin`,
      CI: 'true',
      NO_COLOR: '1',
      FORCE_COLOR: '0',
      NODE_OPTIONS: '',
      PYTHONDONTWRITEBYTECODE: '1',
    },
    timeoutMs: limits.timeoutMs,
    memoryBytes: limits.memoryBytes,
    outputLimitBytes: limits.outputLimitBytes ?? 256 * 1024,
    ...(limits.workspaceLimitBytes ? { workspaceLimitBytes: limits.workspaceLimitBytes } : {}),
    ...(limits.fileSizeLimitBytes ? { fileSizeLimitBytes: limits.fileSizeLimitBytes } : {}),
    ...(limits.readOnlyPaths && limits.readOnlyPaths.length > 0 ? { readOnlyPaths: limits.readOnlyPaths } : {}),
    ...(limits.signal ? { signal: limits.signal } : {}),
  });
  const combined = `${result.stdout}${result.stderr ? `\n${result.stderr}` : ''}`;
  // Runners differ in where they report (unittest: stderr): read both.
  const tests = parseTestOutcomes(`${result.stdout}\n${result.stderr}`);
  const notes = [
    result.timedOut ? `[killed: exceeded the time limit of ${Math.round(limits.timeoutMs / 1000)} s]` : '',
    result.outOfMemory ? '[killed: exceeded the memory limit]' : '',
    result.diskLimitExceeded ? '[killed: wrote past the workspace or file size limit]' : '',
    result.truncatedBytes > 0 ? `[${result.truncatedBytes} bytes of output dropped]` : '',
  ].filter(Boolean);
  const output = [...notes, combined.length > OUTPUT_KEPT ? `…${combined.slice(-OUTPUT_KEPT)}` : combined].join('\n');
  return {
    command,
    passed: result.exitCode === 0 && !result.timedOut && !result.outOfMemory && !result.diskLimitExceeded,
    exit_code: result.exitCode,
    timed_out: result.timedOut,
    out_of_memory: result.outOfMemory,
    disk_limit_exceeded: result.diskLimitExceeded === true,
    duration_ms: Math.round(result.durationMs),
    ...(tests ? { tests } : {}),
    output,
  };
}

/** Tests that passed in `baseline` and fail in `run` (by name; needs parseable output). */
export function regressions(baseline: TestRun | undefined, run: TestRun): string[] {
  if (!baseline?.tests || !run.tests) return [];
  const now = new Map(run.tests.map((test) => [test.name, test.passed]));
  return baseline.tests.filter((test) => test.passed && now.get(test.name) === false).map((test) => test.name);
}

/**
 * Whether a test run after a change is good enough: every test passes (exit 0); or, when per-test
 * outcomes are known, nothing that passed at baseline fails now, every failure was already
 * failing at baseline, and fewer tests fail than at baseline (the change fixed something and
 * only pre-existing, unrelated failures remain — they are named in `note`).
 */
export function acceptRun(baseline: TestRun | undefined, run: TestRun): { accepted: boolean; note?: string } {
  if (run.passed) return { accepted: true };
  if (run.timed_out || run.out_of_memory || run.disk_limit_exceeded) return { accepted: false };
  if (!baseline?.tests || !run.tests) return { accepted: false };
  const failingBefore = new Set(baseline.tests.filter((test) => !test.passed).map((test) => test.name));
  const failingNow = run.tests.filter((test) => !test.passed).map((test) => test.name);
  const onlyOld = failingNow.every((name) => failingBefore.has(name));
  if (regressions(baseline, run).length === 0 && onlyOld && failingNow.length < failingBefore.size) {
    return { accepted: true, note: `pre-existing failures remain (failing before the change too): ${failingNow.join(', ')}` };
  }
  return { accepted: false };
}
