import { Fifo } from "./fifo.js";

/**
 * Messages waiting for a free slot: lower priority number first, arrival order within a
 * priority. A FIFO per priority keeps push and shift O(1) for the usual handful of priorities.
 */
export class WorkQueue<T> {
  private readonly buckets = new Map<number, Fifo<T>>();
  /** Priorities seen so far, ascending. */
  private priorities: number[] = [];
  size = 0;

  push(priority: number, item: T): void {
    let bucket = this.buckets.get(priority);
    if (bucket === undefined) {
      bucket = new Fifo<T>();
      this.buckets.set(priority, bucket);
      this.priorities.push(priority);
      this.priorities.sort((a, b) => a - b);
    }
    bucket.push(item);
    this.size++;
  }

  shift(): T | undefined {
    if (this.size === 0) return undefined;
    for (let i = 0; i < this.priorities.length; i++) {
      const bucket = this.buckets.get(this.priorities[i]!)!;
      if (bucket.size > 0) {
        this.size--;
        return bucket.shift();
      }
    }
    return undefined;
  }

  drain(): T[] {
    const out: T[] = [];
    for (const p of this.priorities) out.push(...this.buckets.get(p)!.drain());
    this.size = 0;
    return out;
  }
}
