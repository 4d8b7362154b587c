/** One reading of a target's `/health`. */
export interface HealthReading {
  reachable: boolean;
  /** `healthy`, `degraded`, `unhealthy`, or the HTTP status when the body says nothing. */
  status?: string;
  http_status?: number;
  response_time_ms: number;
  body?: unknown;
  error?: string;
  checked_at: string;
}

/** GETs `<baseUrl>/health` with a timeout; never throws. */
export async function probeHealth(baseUrl: string, timeoutMs: number): Promise<HealthReading> {
  const started = performance.now();
  const checked_at = new Date().toISOString();
  try {
    const response = await fetch(new URL('/health', baseUrl), { signal: AbortSignal.timeout(timeoutMs) });
    const text = await response.text();
    const response_time_ms = Math.round((performance.now() - started) * 10) / 10;
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      body = text.slice(0, 500);
    }
    const declared = typeof body === 'object' && body !== null ? (body as { status?: unknown }).status : undefined;
    const status =
      typeof declared === 'string' ? declared : response.ok ? 'healthy' : response.status >= 500 ? 'unhealthy' : `http_${response.status}`;
    return { reachable: true, status, http_status: response.status, response_time_ms, body, checked_at };
  } catch (error) {
    const response_time_ms = Math.round((performance.now() - started) * 10) / 10;
    const name = error instanceof Error ? error.name : '';
    const message =
      name === 'TimeoutError' || name === 'AbortError'
        ? `no answer within ${timeoutMs} ms`
        : error instanceof Error
          ? ((error.cause as Error | undefined)?.message ?? error.message)
          : String(error);
    return { reachable: false, response_time_ms, error: message, checked_at };
  }
}

/** Healthy means reachable, a 2xx answer, and a body that does not say otherwise. */
export const isHealthy = (reading: HealthReading): boolean =>
  reading.reachable && (reading.http_status ?? 500) < 300 && (reading.status === 'healthy' || reading.status === 'ok');
