/** GET a JSON document with a timeout; never throws, says what went wrong instead. */
export async function getJson(
  url: string,
  timeoutMs = 2000,
): Promise<{ ok: true; status: number; body: Record<string, unknown> } | { ok: false; error: string }> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
    const body = (await response.json()) as Record<string, unknown>;
    return { ok: true, status: response.status, body };
  } catch (error) {
    const message = error instanceof Error ? ((error.cause as Error | undefined)?.message ?? error.message) : String(error);
    return { ok: false, error: message };
  }
}

/** Polls `url` until it answers (any HTTP status) or `timeoutMs` passes. */
export async function waitForHttp(url: string, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const result = await getJson(url, 1000);
    if (result.ok) return true;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  return false;
}
