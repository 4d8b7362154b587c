export interface WaitForOptions {
  /** Give up after this long; default 10 s. */
  timeoutMs?: number;
  /** Pause between attempts; default 100 ms. */
  intervalMs?: number;
  /** Named in the timeout error. */
  description?: string;
}

/**
 * Polls `predicate` until it returns something other than `undefined`, `null` or `false`, and
 * returns that value. A predicate that throws counts as "not yet"; on timeout the last error
 * (or value) is reported.
 *
 * @example
 * const value = await waitFor(async () => (await prometheus.query('up'))[0], { timeoutMs: 20_000 });
 */
export async function waitFor<Value>(
  predicate: () => Value | Promise<Value>,
  options: WaitForOptions = {},
): Promise<Exclude<Value, undefined | null | false>> {
  const timeoutMs = options.timeoutMs ?? 10_000;
  const intervalMs = options.intervalMs ?? 100;
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await predicate();
      if (value !== undefined && value !== null && value !== false) return value as Exclude<Value, undefined | null | false>;
      last = value;
    } catch (error) {
      last = error;
    }
    if (Date.now() >= deadline) {
      const detail = last instanceof Error ? last.message : JSON.stringify(last);
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${options.description ?? 'a condition'} (last: ${detail})`);
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
