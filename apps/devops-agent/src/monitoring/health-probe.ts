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
  /** Set when no answer came within the timeout (the whole timeout was waited). */
  timed_out?: true;
  checked_at: string;
}

/** Keep-alive connections, shared by every probe: a fleet's probes reuse their sockets. */
const agents = { 'http:': new HttpAgent({ keepAlive: true, maxSockets: 4 }), 'https:': new HttpsAgent({ keepAlive: true, maxSockets: 4 }) };

/** Probes after which a target probed with `Connection: close` is tried with keep-alive again. */
const KEEP_ALIVE_RETRY_PROBES = 50;
/** Most targets whose connection habits are remembered (a catalog's; the oldest are forgotten). */
const TARGETS_KEPT = 10_000;

/**
 * What is known of one target: its `/health` URL, and whether it keeps an idle connection until
 * the next probe. A target that dropped the connection kept from its last probe is probed with
 * `Connection: close` (a fresh connection per probe then costs less than one that is kept, only
 * to be closed by the target), and with keep-alive again every {@link KEEP_ALIVE_RETRY_PROBES} probes.
 */
interface Target {
  url: URL;
  /** The last probe's connection was left open by both sides. */
  kept: boolean;
  /** Probes left with `Connection: close`; 0 = keep-alive. */
  closing: number;
}

const targets = new Map<string, Target>();

function targetOf(baseUrl: string): Target {
  let target = targets.get(baseUrl);
  if (!target) {
    const url = new URL('/health', baseUrl);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error(`unsupported protocol ${url.protocol}`);
    if (targets.size >= TARGETS_KEPT) targets.delete(targets.keys().next().value!);
    target = { url, kept: false, closing: 0 };
    targets.set(baseUrl, target);
  }
  return target;
}

/** Learns from one answer whether the target keeps idle connections (see {@link Target}). */
function learn(target: Target, reused: boolean, keptOpen: boolean): void {
  if (target.closing > 0) target.closing -= 1;
  else if (target.kept && !reused) target.closing = KEEP_ALIVE_RETRY_PROBES;
  target.kept = target.closing === 0 && keptOpen;
}

const timeoutError = (timeoutMs: number) => Object.assign(new Error(`no answer within ${timeoutMs} ms`), { name: 'TimeoutError' });

/** GET the target's `/health` with node:http (lighter than fetch per request): the status and the body, at most 64 KiB kept. */
function get(target: Target, timeoutMs: number): Promise<{ status: number; text: string }> {
  const { url } = target;
  const keepAlive = target.closing === 0;
  return new Promise((resolve, reject) => {
    const options = { protocol: url.protocol, hostname: url.hostname, port: url.port, path: `${url.pathname}${url.search}`, agent: keepAlive ? agents[url.protocol as 'http:' | 'https:'] : false };
    const request = (url.protocol === 'https:' ? httpsRequest : httpRequest)(options, (response) => {
      const chunks: Buffer[] = [];
      let size = 0;
      response.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size <= 65_536) chunks.push(chunk);
      });
      response.on('end', () => {
        clearTimeout(timer);
        learn(target, request.reusedSocket, keepAlive && response.headers.connection !== 'close');
        resolve({ status: response.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') });
      });
      response.on('error', fail);
    });
    const fail = (error: Error) => {
      clearTimeout(timer);
      reject(error);
      request.destroy(error);
    };
    const timer = setTimeout(() => fail(timeoutError(timeoutMs)), timeoutMs);
    request.on('error', fail);
    request.end();
  });
}

/** GETs `<baseUrl>/health` with a timeout; never throws. */
export async function probeHealth(baseUrl: string, timeoutMs: number): Promise<HealthReading> {
  const started = performance.now();
  const checked_at = new Date().toISOString();
  try {
    const response = await get(targetOf(baseUrl), timeoutMs);
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
    const timedOut = name === 'TimeoutError' || name === 'AbortError';
    const message = timedOut
        ? `no answer within ${timeoutMs} ms`
        : error instanceof Error
          ? ((error.cause as Error | undefined)?.message ?? error.message)
          : String(error);
    return { reachable: false, response_time_ms, error: message, ...(timedOut ? { timed_out: true as const } : {}), checked_at };
  }
}

/**
 * Healthy means reachable, a 2xx answer, and a body that does not say otherwise. With an
 * `expectedStatus` (a catalog entry's `expected_status`), exactly that status (below 500) and a
 * body that does not say unhealthy or degraded — the same rule the health monitor raises on.
 */
export function isHealthy(reading: HealthReading, expectedStatus?: number): boolean {
  if (!reading.reachable) return false;
  if (expectedStatus !== undefined) return reading.http_status === expectedStatus && expectedStatus < 500 && reading.status !== 'unhealthy' && reading.status !== 'degraded';
  return (reading.http_status ?? 500) < 300 && (reading.status === 'healthy' || reading.status === 'ok');
}
