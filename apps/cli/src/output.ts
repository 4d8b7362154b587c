import pc from 'picocolors';

const PALETTE = [pc.cyan, pc.magenta, pc.yellow, pc.blue, pc.green];

/** A stable colour per service name. */
export function colourFor(name: string): (text: string) => string {
  let sum = 0;
  for (const character of name) sum += character.charCodeAt(0);
  return PALETTE[sum % PALETTE.length] ?? pc.white;
}

const LEVELS: Record<number, string> = { 10: 'TRACE', 20: 'DEBUG', 30: 'INFO', 40: 'WARN', 50: 'ERROR', 60: 'FATAL' };

/** Turns one pino JSON line into `HH:MM:SS LEVEL message key=value…`; other text passes through. */
export function formatLogLine(line: string): string {
  if (!line.startsWith('{')) return line;
  try {
    const entry = JSON.parse(line) as Record<string, unknown>;
    const { time, level, msg, service: _service, pid: _pid, hostname: _hostname, reqId, ...rest } = entry;
    const clock = typeof time === 'string' ? time.slice(11, 19) : '';
    const levelName = LEVELS[Number(level)] ?? String(level);
    const paint = Number(level) >= 50 ? pc.red : Number(level) >= 40 ? pc.yellow : pc.dim;
    const fields = Object.entries(rest)
      .map(([key, value]) => `${key}=${typeof value === 'string' ? value : JSON.stringify(value)}`)
      .join(' ');
    return `${pc.dim(clock)} ${paint(levelName.padEnd(5))} ${String(msg ?? '')}${reqId ? pc.dim(` [${String(reqId).slice(0, 8)}]`) : ''}${fields ? ` ${pc.dim(fields)}` : ''}`;
  } catch {
    return line;
  }
}
