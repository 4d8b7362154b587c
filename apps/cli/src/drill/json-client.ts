/** The outcome of one JSON request: never throws, says what went wrong instead. */
export type JsonResult<T = unknown> =
  | { ok: true; status: number; body: T }
  | { ok: false; status: number | undefined; error: string; body?: unknown };

/**
 * Sends one request and parses the JSON answer. A non-2xx status is `ok: false` with the
 * server's message; a refused connection or a timeout is `ok: false` without a status.
 */
export async function requestJson<T = unknown>(
  url: string,
  options: { method?: string; body?: unknown; timeoutMs?: number; headers?: Record<string, string> } = {},
): Promise<JsonResult<T>> {
  const headers: Record<string, string> = { accept: 'application/json', ...options.headers };
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  let response: Response;
  try {
    response = await fetch(url, {
      method: options.method ?? 'GET',
      headers,
      body: options.body === undefined ? undefined : JSON.stringify(options.body),
      signal: AbortSignal.timeout(options.timeoutMs ?? 3000),
    });
  } catch (error) {
    const cause = error instanceof Error ? ((error.cause as Error | undefined)?.message ?? error.message) : String(error);
    return { ok: false, status: undefined, error: cause };
  }
  const text = await response.text().catch(() => '');
  let body: unknown = text;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    // not JSON: keep the text
  }
  if (!response.ok) {
    const message =
      body && typeof body === 'object' && 'message' in body ? String((body as { message: unknown }).message) : text.slice(0, 200);
    return { ok: false, status: response.status, error: `${response.status} ${message}`.trim(), body };
  }
  return { ok: true, status: response.status, body: body as T };
}
