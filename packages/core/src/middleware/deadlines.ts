import { Fifo } from "../worker/fifo.js";

interface Lane<T> {
  ms: number;
  entries: Fifo<Entry<T>>;
  cancelled: number;
}

interface Entry<T> {
  due: number;
  item: T;
  cancelled: boolean;
  lane: Lane<T>;
}

/** A lane with more cancelled entries than this, and mostly cancelled, is compacted. */
const COMPACT_AT = 1024;

/**
 * Many deadlines, one timer. Deadlines of the same length expire in the order they were set,
 * so each length keeps a FIFO and only the earliest head needs a timer — cheaper per message
 * than a setTimeout and clearTimeout each. Cancelled entries leave from the head at once, and
 * a lane held up by one long-running head is compacted once it is mostly cancelled, so
 * memory stays bounded by what is really pending.
 */
export class Deadlines<T> {
  private readonly lanes = new Map<number, Lane<T>>();
  private timer: NodeJS.Timeout | undefined;
  private timerDue = Number.POSITIVE_INFINITY;
  private readonly expire: (item: T, ms: number) => void;

  constructor(expire: (item: T, ms: number) => void) {
    this.expire = expire;
  }

  /** Call `expire(item, ms)` in `ms` unless cancelled; returns the cancel handle. */
  add(ms: number, item: T): Entry<T> {
    let lane = this.lanes.get(ms);
    if (lane === undefined) {
      lane = { ms, entries: new Fifo(), cancelled: 0 };
      this.lanes.set(ms, lane);
    }
    const entry: Entry<T> = { due: Date.now() + ms, item, cancelled: false, lane };
    lane.entries.push(entry);
    if (entry.due < this.timerDue) this.arm(entry.due);
    return entry;
  }

  cancel(entry: Entry<T>): void {
    if (entry.cancelled) return;
    entry.cancelled = true;
    const lane = entry.lane;
    lane.cancelled++;
    this.dropCancelledHeads(lane);
    if (lane.cancelled > COMPACT_AT && lane.cancelled * 2 > lane.entries.size) {
      const live = lane.entries.drain().filter((e) => !e.cancelled);
      for (const e of live) lane.entries.push(e);
      lane.cancelled = 0;
    }
  }

  /** How many deadlines are held (pending or cancelled but not yet dropped). */
  get size(): number {
    let n = 0;
    for (const lane of this.lanes.values()) n += lane.entries.size;
    return n;
  }

  private dropCancelledHeads(lane: Lane<T>): void {
    for (let head = lane.entries.peek(); head?.cancelled; head = lane.entries.peek()) {
      lane.entries.shift();
      lane.cancelled--;
    }
  }

  private arm(due: number): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timerDue = due;
    this.timer = setTimeout(() => this.fire(), Math.max(0, due - Date.now()));
    this.timer.unref();
  }

  private fire(): void {
    this.timer = undefined;
    this.timerDue = Number.POSITIVE_INFINITY;
    const now = Date.now();
    let next = Number.POSITIVE_INFINITY;
    for (const lane of this.lanes.values()) {
      for (;;) {
        this.dropCancelledHeads(lane);
        const head = lane.entries.peek();
        if (head === undefined) break;
        if (head.due > now) {
          next = Math.min(next, head.due);
          break;
        }
        lane.entries.shift();
        this.expire(head.item, lane.ms);
      }
      if (lane.entries.size === 0) this.lanes.delete(lane.ms);
    }
    if (next !== Number.POSITIVE_INFINITY) this.arm(next);
  }
}

export type DeadlineHandle<T> = ReturnType<Deadlines<T>["add"]>;
