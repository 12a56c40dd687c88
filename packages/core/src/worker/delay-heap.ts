interface Entry<T> {
  due: number;
  seq: number;
  item: T;
}

/** A min-heap of items by due time (ties in insertion order): delayed messages in memory. */
export class DelayHeap<T> {
  private heap: Entry<T>[] = [];
  private seq = 0;

  get size(): number {
    return this.heap.length;
  }

  /** Due time of the earliest item, or undefined when empty. */
  peekDue(): number | undefined {
    return this.heap[0]?.due;
  }

  push(due: number, item: T): void {
    const heap = this.heap;
    heap.push({ due, seq: this.seq++, item });
    let i = heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.less(heap[i]!, heap[parent]!)) break;
      [heap[i], heap[parent]] = [heap[parent]!, heap[i]!];
      i = parent;
    }
  }

  /** Remove and return the earliest item if it is due at `now`. */
  popDue(now: number): T | undefined {
    const heap = this.heap;
    const top = heap[0];
    if (top === undefined || top.due > now) return undefined;
    const last = heap.pop()!;
    if (heap.length > 0) {
      heap[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < heap.length && this.less(heap[l]!, heap[m]!)) m = l;
        if (r < heap.length && this.less(heap[r]!, heap[m]!)) m = r;
        if (m === i) break;
        [heap[i], heap[m]] = [heap[m]!, heap[i]!];
        i = m;
      }
    }
    return top.item;
  }

  drain(): T[] {
    const out = this.heap.sort((a, b) => (this.less(a, b) ? -1 : 1)).map((e) => e.item);
    this.heap = [];
    return out;
  }

  private less(a: Entry<T>, b: Entry<T>): boolean {
    return a.due < b.due || (a.due === b.due && a.seq < b.seq);
  }
}
