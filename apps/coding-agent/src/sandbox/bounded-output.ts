/**
 * Keeps the head and the tail of a byte stream within a fixed budget and counts what it drops,
 * so a command that prints without end cannot exhaust the agent's memory while the first lines
 * (usually the cause) and the last lines (usually the summary) are still shown.
 */
export class BoundedOutput {
  private readonly headLimit: number;
  private readonly tailLimit: number;
  private readonly head: Buffer[] = [];
  private headBytes = 0;
  private tail: Buffer[] = [];
  private tailBytes = 0;
  private total = 0;

  /** @param limitBytes bytes kept in all: half from the start, half from the end. */
  constructor(limitBytes: number) {
    const limit = Math.max(0, Math.floor(limitBytes));
    this.headLimit = Math.ceil(limit / 2);
    this.tailLimit = limit - this.headLimit;
  }

  /** Adds a chunk of output. */
  push(chunk: Buffer): void {
    this.total += chunk.length;
    let rest = chunk;
    if (this.headBytes < this.headLimit) {
      const take = Math.min(this.headLimit - this.headBytes, rest.length);
      this.head.push(rest.subarray(0, take));
      this.headBytes += take;
      rest = rest.subarray(take);
    }
    if (rest.length === 0 || this.tailLimit === 0) return;
    if (rest.length >= this.tailLimit) {
      this.tail = [Buffer.from(rest.subarray(rest.length - this.tailLimit))];
      this.tailBytes = this.tailLimit;
      return;
    }
    this.tail.push(Buffer.from(rest));
    this.tailBytes += rest.length;
    while (this.tailBytes > this.tailLimit) {
      const first = this.tail[0]!;
      const excess = this.tailBytes - this.tailLimit;
      if (first.length <= excess) {
        this.tail.shift();
        this.tailBytes -= first.length;
      } else {
        this.tail[0] = first.subarray(excess);
        this.tailBytes -= excess;
      }
    }
  }

  /** Bytes seen in all. */
  get totalBytes(): number {
    return this.total;
  }

  /** Bytes dropped between the head and the tail. */
  get droppedBytes(): number {
    return this.total - this.headBytes - this.tailBytes;
  }

  /** The kept text; where bytes were dropped, a marker line says how many. */
  text(): string {
    const head = Buffer.concat(this.head).toString('utf8');
    const tail = Buffer.concat(this.tail).toString('utf8');
    const dropped = this.droppedBytes;
    if (dropped === 0) return head + tail;
    return `${head}\n[… ${dropped} bytes of output truncated …]\n${tail}`;
  }
}
