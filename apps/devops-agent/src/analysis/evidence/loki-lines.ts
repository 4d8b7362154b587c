/**
 * Lines that may name an error: any class `log-signatures.ts` recognises, in LogQL's RE2 syntax
 * (case-insensitive). Loki filters them, so the newest error lines are read, not the newest lines.
 */
export const ERROR_LINE_FILTER =
  '(?i)(error|fatal|panic|exception|unhandled|uncaught|segmentation fault|sigsegv|core dumped|refused|econnreset|unavailable|timed? ?out|timeout|deadline exceeded|' +
  'out of memory|heap limit|oomkilled|enomem|enospc|no space left|disk (is )?full|emfile|enfile|too many open files|certificate|cert_|x509|tls handshake|ssl routines|' +
  'enotfound|eai_again|getaddrinfo|could not resolve|not set|must be set|missing (required )?(env|config|setting|variable)|invalid config|' +
  'slow (upstream|dependency|query)|(answered|responded|took) in [0-9]{4,} ?ms|status[=: ]5[0-9][0-9]|bad gateway|" 5[0-9][0-9] )'

/** A name as it may appear inside a LogQL string: letters, digits, `_`, `.` and `-` only. */
const safeName = (name: string) => name.replace(/[^\w.-]/g, '');

/**
 * The LogQL evidence query for a target: the stream selector (`{service}` and `{container}`
 * replaced by the target's names) and a filter keeping error lines.
 *
 * @example lokiEvidenceQuery('{service="{service}"}', { service: 'api', container: 'api-1' })
 * // '{service="api"} |~ `(?i)(error|fatal|…)`'
 */
export function lokiEvidenceQuery(selector: string, target: { service: string; container: string }): string {
  const stream = selector.replaceAll('{service}', safeName(target.service)).replaceAll('{container}', safeName(target.container));
  return `${stream} |~ \`${ERROR_LINE_FILTER}\``;
}

/** A Loki timestamp (nanoseconds since the epoch, as a string); 0 when it is not one. */
const nanoseconds = (value: unknown) => (typeof value === 'string' && /^\d{1,30}$/.test(value) ? BigInt(value) : 0n);

interface LokiStreams {
  status?: string;
  data?: { resultType?: string; result?: { values?: [string, string][] }[] };
}

/**
 * The newest `limit` lines of `query` within the last `sinceMinutes`, through Loki's
 * `GET /loki/api/v1/query_range`, oldest first (like container logs). Throws when Loki fails or
 * answers something that is not a streams result; `signal` bounds the wait.
 */
export async function readLokiLines(baseUrl: string, query: string, options: { limit: number; sinceMinutes: number }, signal: AbortSignal): Promise<string[]> {
  const url = new URL('/loki/api/v1/query_range', baseUrl);
  url.searchParams.set('query', query);
  url.searchParams.set('since', `${options.sinceMinutes}m`);
  url.searchParams.set('limit', String(options.limit));
  url.searchParams.set('direction', 'backward');
  const response = await fetch(url, { signal });
  const text = await response.text();
  if (!response.ok) throw new Error(`Loki answered ${response.status}: ${text.slice(0, 200)}`);
  let body: LokiStreams;
  try {
    body = JSON.parse(text) as LokiStreams;
  } catch {
    throw new Error(`Loki answered something that is not JSON: ${text.slice(0, 100)}`);
  }
  if (body.status !== 'success' || body.data?.resultType !== 'streams') throw new Error(`Loki answered no streams (status ${body.status ?? '?'}, result ${body.data?.resultType ?? '?'})`);
  // Each stream is newest first (direction=backward); the newest `limit` across streams, oldest first.
  const entries = (body.data.result ?? []).flatMap((stream) => stream.values ?? []);
  entries.sort((left, right) => {
    const [older, newer] = [nanoseconds(left[0]), nanoseconds(right[0])];
    return older < newer ? -1 : older > newer ? 1 : 0;
  });
  return entries.slice(-options.limit).map(([, line]) => line);
}
