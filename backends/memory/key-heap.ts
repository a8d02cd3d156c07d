/** An entry of {@link KeyHeap}: the heap keeps `heapIndex` current so an entry can be moved or removed in O(log n). */
export interface HeapEntry {
  /** The ordering value; the smallest is on top. */
  priority: number;
  heapIndex: number;
}

/**
 * A binary min-heap whose entries know their position, so the store can find the key whose
 * newest member is oldest (the one to evict) in O(1) and update a key's priority in O(log n)
 * when it is observed again.
 */
export class KeyHeap<T extends HeapEntry> {
  private readonly items: T[] = [];

  get size(): number {
    return this.items.length;
  }

  peek(): T | undefined {
    return this.items[0];
  }

  push(entry: T): void {
    entry.heapIndex = this.items.length;
    this.items.push(entry);
    this.up(entry.heapIndex);
  }

  /** Restores order after `entry.priority` changed. */
  update(entry: T): void {
    this.up(entry.heapIndex);
    this.down(entry.heapIndex);
  }

  remove(entry: T): void {
    const index = entry.heapIndex;
    const last = this.items.pop() as T;
    entry.heapIndex = -1;
    if (index >= this.items.length) return;
    this.items[index] = last;
    last.heapIndex = index;
    this.update(last);
  }

  private up(index: number): void {
    while (index > 0) {
      const parent = (index - 1) >> 1;
      if (this.at(parent).priority <= this.at(index).priority) return;
      this.swap(index, parent);
      index = parent;
    }
  }

  private down(index: number): void {
    for (;;) {
      const left = index * 2 + 1;
      const right = left + 1;
      let smallest = index;
      if (left < this.items.length && this.at(left).priority < this.at(smallest).priority) smallest = left;
      if (right < this.items.length && this.at(right).priority < this.at(smallest).priority) smallest = right;
      if (smallest === index) return;
      this.swap(index, smallest);
      index = smallest;
    }
  }

  private at(index: number): T {
    return this.items[index] as T;
  }

  private swap(a: number, b: number): void {
    const first = this.at(a);
    const second = this.at(b);
    this.items[a] = second;
    this.items[b] = first;
    second.heapIndex = a;
    first.heapIndex = b;
  }
}
