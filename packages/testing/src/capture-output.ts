import { vi } from 'vitest';

/** What a command printed and the exit code it left in `process.exitCode`. */
export interface CapturedOutput {
  stdout: string;
  stderr: string;
  exitCode: number;
}

/**
 * Runs `run` (a CLI command tree's `parseAsync`, typically) with standard output and error
 * captured instead of printed; `process.exitCode` starts and ends unset, its value is answered.
 *
 * @example
 * const { stdout, exitCode } = await captureOutput(() => createProgram().exitOverride().parseAsync(['node', 'atb', 'status']));
 */
export async function captureOutput(run: () => Promise<unknown>): Promise<CapturedOutput> {
  let stdout = '';
  let stderr = '';
  const out = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
    stdout += String(chunk);
    return true;
  });
  const err = vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => {
    stderr += String(chunk);
    return true;
  });
  process.exitCode = undefined;
  try {
    await run();
  } finally {
    out.mockRestore();
    err.mockRestore();
  }
  const exitCode = Number(process.exitCode ?? 0);
  process.exitCode = undefined;
  return { stdout, stderr, exitCode };
}
