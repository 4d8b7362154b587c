/**
 * A bounded in-memory ring of the latest predictions: constant memory whatever the traffic,
 * oldest overwritten first. Lost on restart by design (the predictor is stateless).
 */
export class RecentPredictions<Item> {
  readonly #items: (Item | undefined)[];
  #next = 0;
  #size = 0;

  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`capacity must be ≥ 1, got ${capacity}`);
    this.#items = new Array<Item | undefined>(capacity);
  }

  /** Number of items held, at most `capacity`. */
  get size(): number {
    return this.#size;
  }

  add(item: Item): void {
    this.#items[this.#next] = item;
    this.#next = (this.#next + 1) % this.capacity;
    this.#size = Math.min(this.#size + 1, this.capacity);
  }

  /** Up to `limit` items, newest first. */
  latest(limit = this.capacity): Item[] {
    const count = Math.min(limit, this.#size);
    const result: Item[] = [];
    for (let offset = 1; offset <= count; offset += 1) {
      result.push(this.#items[(this.#next - offset + this.capacity) % this.capacity] as Item);
    }
    return result;
  }
}
