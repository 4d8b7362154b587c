import type { LogEvidence, LogSignature } from '@atb/contracts';

/** One class of error line: its name and how to recognise it (the first class that matches a line wins). */
interface SignatureClass {
  kind: string;
  pattern: RegExp;
  /** Pulls the dependency a line points at (host:port or a name). */
  dependency?: (line: string) => string | undefined;
}

const HOST_PORT = /((?:\d{1,3}\.){3}\d{1,3}:\d{2,5}|\[[0-9a-f:]+\]:\d{2,5}|[a-z][\w.-]*:\d{2,5})/i;
const hostOf = (line: string) => HOST_PORT.exec(line)?.[1];

/** The error classes recognised in log lines, most specific first. */
const CLASSES: SignatureClass[] = [
  { kind: 'oom', pattern: /out of memory|heap limit|OOMKilled|Cannot allocate memory|ENOMEM/i },
  { kind: 'disk-full', pattern: /ENOSPC|no space left on device|disk (is )?full/i },
  { kind: 'fd-exhausted', pattern: /EMFILE|ENFILE|too many open files/i },
  { kind: 'certificate', pattern: /certificate|CERT_|self[- ]signed|x509|TLS handshake|SSL routines/i },
  { kind: 'dns', pattern: /ENOTFOUND|EAI_AGAIN|getaddrinfo|could not resolve|name resolution/i, dependency: (line) => /(?:ENOTFOUND|EAI_AGAIN|resolve)\s+([\w.-]+)/i.exec(line)?.[1] },
  { kind: 'dependency-refused', pattern: /ECONNREFUSED|connection refused|ECONNRESET|upstream .*unavailable|dependency .*(down|unavailable)/i, dependency: hostOf },
  { kind: 'dependency-timeout', pattern: /ETIMEDOUT|upstream .*timed? ?out|timeout (waiting|connecting|acquiring)|pool .*timeout|deadline exceeded/i, dependency: hostOf },
  {
    kind: 'dependency-slow',
    pattern: /(upstream|feed|dependency|database|\bdb\b|redis|api)\b.*(answered|responded|took) in \d{4,} ?ms|slow (upstream|dependency|query)/i,
    dependency: (line) => /https?:\/\/([\w.-]+(?::\d+)?)/i.exec(line)?.[1] ?? hostOf(line),
  },
  { kind: 'configuration', pattern: /missing (required )?(env|environment|config|setting|variable)|invalid config|configuration error|is not set|must be set|undefined variable/i },
  { kind: 'exception', pattern: /uncaught|unhandled|TypeError|ReferenceError|RangeError|SyntaxError|panic|segmentation fault|SIGSEGV|core dumped|stack trace|at \S+ \(.*:\d+:\d+\)/i },
  { kind: 'http-5xx', pattern: /\bstatus[=: ]5\d\d\b|\b5\d\d (internal|bad gateway|service unavailable)|\bHTTP\/1\.[01]" 5\d\d/i },
];

/** Matched lines kept verbatim (shortened) for people to read. */
const EXCERPT_LINES = 10;
/** Newest lines kept when none matched, so the reader still sees what the service last said. */
const QUIET_EXCERPT_LINES = 5;

const ERROR_LEVEL = /\b(ERROR|FATAL|CRITICAL|PANIC|level[=:]"?(error|fatal)|"level":\s*(50|60))\b/i;

/**
 * Reads the newest log lines and counts each known class of error line (newest example kept).
 * A line at error level that fits no class counts as `error`. The newest matched lines (the
 * newest lines at all when none matched) are kept as an excerpt, oldest first.
 */
export function logSignatures(lines: string[]): LogEvidence {
  const found = new Map<string, LogSignature>();
  const matched: string[] = [];
  for (const raw of lines) {
    const line = raw.trim();
    if (!line) continue;
    const match = CLASSES.find((entry) => entry.pattern.test(line));
    const kind = match?.kind ?? (ERROR_LEVEL.test(line) ? 'error' : undefined);
    if (!kind) continue;
    matched.push(line.slice(0, 300));
    const dependency = match?.dependency?.(line);
    const known = found.get(kind);
    found.set(kind, {
      kind,
      count: (known?.count ?? 0) + 1,
      example: line.slice(0, 300),
      ...(dependency ? { dependency } : known?.dependency ? { dependency: known.dependency } : {}),
    });
  }
  const signatures = [...found.values()].sort((left, right) => right.count - left.count).slice(0, 20);
  const nonEmpty = () => lines.map((line) => line.trim()).filter(Boolean);
  const excerpt = matched.length > 0 ? matched.slice(-EXCERPT_LINES) : nonEmpty().slice(-QUIET_EXCERPT_LINES).map((line) => line.slice(0, 300));
  return { lines_read: lines.length, signatures, ...(excerpt.length > 0 ? { excerpt } : {}) };
}
