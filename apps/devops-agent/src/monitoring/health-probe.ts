import { Agent as HttpAgent, request as httpRequest } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
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

/** Keep-alive connections, shared by every probe: a fleet's probes reuse their sockets. */
const agents = { 'http:': new HttpAgent({ keepAlive: true, maxSockets: 4 }), 'https:': new HttpsAgent({ keepAlive: true, maxSockets: 4 }) };

/** GET `url` with node:http (lighter than fetch per request): the status and the body, at most 64 KiB kept. */
function get(url: URL, signal: AbortSignal): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const request = (url.protocol === 'https:' ? httpsRequest : httpRequest)(url, { agent: agents[url.protocol as 'http:' | 'https:'], signal }, (response) => {
      const chunks: Buffer[] = [];
      let size = 0;
      response.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size <= 65_536) chunks.push(chunk);
      });
      response.on('end', () => resolve({ status: response.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
      response.on('error', reject);
    });
    request.on('error', reject);
    request.end();
  });
}

/** GETs `<baseUrl>/health` with a timeout; never throws. */
export async function probeHealth(baseUrl: string, timeoutMs: number): Promise<HealthReading> {
  const started = performance.now();
  const checked_at = new Date().toISOString();
  try {
    const url = new URL('/health', baseUrl);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error(`unsupported protocol ${url.protocol}`);
    const response = await get(url, AbortSignal.timeout(timeoutMs));
    const text = response.text;
    const response_time_ms = Math.round((performance.now() - started) * 10) / 10;
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      body = text.slice(0, 500);
    }
    const ok = response.status >= 200 && response.status < 300;
    const declared = typeof body === 'object' && body !== null ? (body as { status?: unknown }).status : undefined;
    const status = typeof declared === 'string' ? declared : ok ? 'healthy' : response.status >= 500 ? 'unhealthy' : `http_${response.status}`;
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
