/**
 * The Docker Engine API multiplexes stdout and stderr of a container without a TTY into frames:
 * an 8-byte header (stream type 0/1/2, three zero bytes, payload size as big-endian uint32)
 * followed by the payload. With a TTY the body is the raw output.
 */
export function demultiplexDockerLogs(body: Buffer, tty: boolean): string {
  if (tty || !looksMultiplexed(body)) return body.toString('utf8');
  const parts: Buffer[] = [];
  let offset = 0;
  while (offset + 8 <= body.length) {
    const size = body.readUInt32BE(offset + 4);
    const start = offset + 8;
    parts.push(body.subarray(start, Math.min(start + size, body.length)));
    offset = start + size;
  }
  return Buffer.concat(parts).toString('utf8');
}

function looksMultiplexed(body: Buffer): boolean {
  if (body.length < 8) return false;
  const stream = body[0];
  return (stream === 0 || stream === 1 || stream === 2) && body[1] === 0 && body[2] === 0 && body[3] === 0;
}

/** Splits output into lines, dropping the empty line after a final newline; keeps the last `tail`. */
export function lastLines(text: string, tail: number): string[] {
  const lines = text.split(/\r?\n/);
  if (lines.at(-1) === '') lines.pop();
  return lines.slice(-tail);
}
