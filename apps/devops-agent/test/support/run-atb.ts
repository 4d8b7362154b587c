import { createProgram } from '@atb/cli';
import { type CapturedOutput, captureOutput } from '@atb/testing';

/** Runs one `atb` command line through the real command tree; answers what it printed and its exit code. */
export function runAtb(...args: string[]): Promise<CapturedOutput> {
  return captureOutput(() => createProgram().exitOverride().parseAsync(['node', 'atb', ...args]));
}
