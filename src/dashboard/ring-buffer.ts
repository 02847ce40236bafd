/** A fixed number of the latest items: push is O(1) and overwrites the oldest once full. */
export class RingBuffer<T> {
  private readonly items: Array<T | undefined>;
  private next = 0;
  private count = 0;

  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError('capacity must be a whole number of at least 1');
    this.items = new Array<T | undefined>(capacity);
  }

  get size(): number {
    return this.count;
  }

  push(item: T): void {
    this.items[this.next] = item;
    this.next = (this.next + 1) % this.capacity;
    if (this.count < this.capacity) this.count++;
  }

  /** Newest first, up to `limit` items that pass `keep`. */
  newestFirst(limit = this.capacity, keep: (item: T) => boolean = () => true): T[] {
    const out: T[] = [];
    for (let i = 1; i <= this.count && out.length < limit; i++) {
      const item = this.items[(this.next - i + this.capacity) % this.capacity] as T;
      if (keep(item)) out.push(item);
    }
    return out;
  }
}
