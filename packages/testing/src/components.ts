import { describe, it } from 'vitest';

/** True when running in CI (`CI=true`): missing real components are failures there, not skips. */
export function inContinuousIntegration(): boolean {
  return process.env.CI === 'true';
}

/** A probe answers `undefined` when the component is usable, or why it is not. */
export type ComponentProbe = () => Promise<string | undefined> | string | undefined;

/**
 * Runs `suite` only when the real component answers. Locally a missing component skips the
 * suite with a message saying how to get it; in CI it fails loudly instead.
 *
 * @example
 * describeWithComponent('PostgreSQL', probePostgres, 'start it: pg_ctlcluster 15 main start', () => { … });
 */
export function describeWithComponent(
  component: string,
  unavailable: string | undefined,
  howToGet: string,
  suite: () => void,
): void {
  if (unavailable === undefined) {
    describe(`[${component}]`, suite);
    return;
  }
  const message = `${component} is not available (${unavailable}); ${howToGet}`;
  if (inContinuousIntegration()) {
    describe(`[${component}]`, () => {
      it(`requires ${component}`, () => {
        throw new Error(message);
      });
    });
  } else {
    process.stderr.write(`skipping ${component} tests: ${message}\n`);
    describe.skip(`[${component}] skipped: ${message}`, suite);
  }
}
