/** The most recent `capacity` lines, oldest dropped first; each line capped at 16 KB. */
export class LineRing {
  private readonly lines: string[] = [];
  private start = 0;

  constructor(readonly capacity: number) {}

  push(line: string): void {
    const bounded = line.length > 16_384 ? `${line.slice(0, 16_384)}…` : line;
    if (this.lines.length < this.capacity) {
      this.lines.push(bounded);
      return;
    }
    this.lines[this.start] = bounded;
    this.start = (this.start + 1) % this.capacity;
  }

  /** The last `count` lines, oldest first. */
  last(count: number): string[] {
    const ordered = [...this.lines.slice(this.start), ...this.lines.slice(0, this.start)];
    return count <= 0 ? [] : ordered.slice(-count);
  }

  get size(): number {
    return this.lines.length;
  }
}
