import { APICallError } from '@ai-sdk/provider';
import { LlmTimeoutError } from './errors.js';

/** How one model call is retried. */
export interface RetryOptions {
  /** Retries after the first attempt (0 = one attempt only). */
  maxRetries: number;
  /** Timeout of each attempt, in milliseconds. */
  timeoutMs: number;
  /** First backoff delay; doubles per retry. Default 500 ms. */
  baseDelayMs?: number;
  /** Upper bound of a backoff delay. Default 20 s. */
  maxDelayMs?: number;
  /** A `Retry-After` longer than this is not waited for: the call fails at once. Default 60 s. */
  maxRetryAfterMs?: number;
  /** The caller's signal: aborting it stops waiting and retrying. */
  signal?: AbortSignal;
  /** Called before each retry with the delay chosen (for logs and tests). */
  onRetry?: (event: { attempt: number; delayMs: number; error: unknown }) => void;
}

/** True for errors worth retrying: 408, 409, 429, 5xx, network failures and timeouts. */
export function isRetryable(error: unknown): boolean {
  if (error instanceof LlmTimeoutError) return true;
  if (APICallError.isInstance(error)) {
    const status = error.statusCode;
    if (status === undefined) return error.isRetryable;
    return status === 408 || status === 409 || status === 429 || status >= 500;
  }
  return false;
}

/**
 * Reads `retry-after-ms` or `retry-after` (seconds or an HTTP date) from an API error,
 * in milliseconds, or undefined.
 */
export function retryAfterMs(error: unknown, now = Date.now()): number | undefined {
  if (!APICallError.isInstance(error) || !error.responseHeaders) return undefined;
  const headers = Object.fromEntries(Object.entries(error.responseHeaders).map(([key, value]) => [key.toLowerCase(), value]));
  const milliseconds = Number.parseFloat(headers['retry-after-ms'] ?? '');
  if (Number.isFinite(milliseconds) && milliseconds >= 0) return milliseconds;
  const value = headers['retry-after'];
  if (value === undefined) return undefined;
  const seconds = Number.parseFloat(value);
  if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
  const date = Date.parse(value);
  if (Number.isFinite(date)) return Math.max(0, date - now);
  return undefined;
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** Runs `call` once with a timeout: its signal aborts after `timeoutMs` or when `signal` aborts. */
export async function withTimeout<Result>(
  call: (signal: AbortSignal) => PromiseLike<Result>,
  timeoutMs: number,
  signal?: AbortSignal,
): Promise<Result> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(new LlmTimeoutError(timeoutMs)), timeoutMs);
  const combined = signal ? AbortSignal.any([signal, controller.signal]) : controller.signal;
  try {
    return await new Promise<Result>((resolve, reject) => {
      combined.addEventListener('abort', () => reject(combined.reason), { once: true });
      Promise.resolve(call(combined)).then(resolve, reject);
    });
  } catch (error) {
    if (controller.signal.aborted && !signal?.aborted) throw new LlmTimeoutError(timeoutMs);
    throw error;
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Calls `call` with a per-attempt timeout, retrying retryable failures with exponential
 * backoff (500 ms, 1 s, 2 s … ±20% jitter) — or exactly the server's `Retry-After` when it
 * sent one. The AI SDK's own retries are switched off (`maxRetries: 0`) so this is the one
 * retry policy, and it is tested at the wire.
 */
export async function callWithRetry<Result>(
  call: (signal: AbortSignal) => PromiseLike<Result>,
  options: RetryOptions,
): Promise<Result> {
  const baseDelayMs = options.baseDelayMs ?? 500;
  const maxDelayMs = options.maxDelayMs ?? 20_000;
  const maxRetryAfterMs = options.maxRetryAfterMs ?? 60_000;
  for (let attempt = 0; ; attempt += 1) {
    try {
      return await withTimeout(call, options.timeoutMs, options.signal);
    } catch (error) {
      if (options.signal?.aborted || attempt >= options.maxRetries || !isRetryable(error)) throw error;
      const retryAfter = retryAfterMs(error);
      if (retryAfter !== undefined && retryAfter > maxRetryAfterMs) throw error;
      const backoff = Math.min(maxDelayMs, baseDelayMs * 2 ** attempt * (0.8 + Math.random() * 0.4));
      const delayMs = retryAfter ?? backoff;
      options.onRetry?.({ attempt: attempt + 1, delayMs, error });
      await sleep(delayMs, options.signal);
    }
  }
}
