import { InvalidArgument } from "../errors.js";
import { renderBounded } from "../render.js";
import { WorkQueue } from "./work-queue.js";

/** What a lane holds: anything that knows the queue it came from. */
export interface LaneItem {
  readonly loop: { readonly queueName: string };
}

/**
 * Messages waiting for a slot, in the order the worker starts them. `started` and `finished`
 * tell weighted lanes how many slots each queue holds.
 */
export interface Lanes<T extends LaneItem> {
  readonly size: number;
  push(actorPriority: number, item: T): void;
  /** The next item to start, or undefined when none may start. */
  shift(): T | undefined;
  drain(): T[];
  /** Take out (in order) the items of one queue. */
  take(queueName: string): T[];
  /** The item's actor finished: its slot is free (weighted lanes count them). */
  finished?(item: T): void;
  /** Some queue has waiting items and ranks above `queueName` (priorities only). */
  outranked?(queueName: string): boolean;
}

/** Take the items of one queue out of a work queue, keeping the others' order. */
function takeFrom<T extends LaneItem>(
  work: WorkQueue<T>,
  queueName: string,
  ranks: (item: T) => number,
): T[] {
  const taken: T[] = [];
  for (const item of work.drain()) {
    if (item.loop.queueName === queueName) taken.push(item);
    else work.push(ranks(item), item);
  }
  return taken;
}

/** No queue ranks: actor priority, then arrival (the common case, no extra cost). */
export class PlainLanes<T extends LaneItem> implements Lanes<T> {
  private readonly work = new WorkQueue<T>();

  get size(): number {
    return this.work.size;
  }

  push(actorPriority: number, item: T): void {
    this.work.push(actorPriority, item);
  }

  shift(): T | undefined {
    return this.work.shift();
  }

  drain(): T[] {
    return this.work.drain();
  }

  take(queueName: string): T[] {
    return takeFrom(this.work, queueName, priorityOf);
  }
}

/** Rare (a fleet pause): items are re-ranked through their own actor's priority. */
function priorityOf(item: LaneItem): number {
  const actor = (item as { actor?: { priority?: unknown } }).actor;
  return typeof actor?.priority === "number" ? actor.priority : 0;
}

/** `queuePriorities`: a higher-ranked queue's messages start first; actor priority within a queue rank. */
export class RankedLanes<T extends LaneItem> implements Lanes<T> {
  private readonly ranks: Readonly<Record<string, number>>;
  private readonly byRank = new Map<number, WorkQueue<T>>();
  /** Ranks seen so far, highest first. */
  private order: number[] = [];
  size = 0;

  constructor(ranks: Readonly<Record<string, number>>) {
    this.ranks = ranks;
  }

  private rank(queueName: string): number {
    return Object.hasOwn(this.ranks, queueName) ? this.ranks[queueName]! : 0;
  }

  push(actorPriority: number, item: T): void {
    const rank = this.rank(item.loop.queueName);
    let work = this.byRank.get(rank);
    if (work === undefined) {
      work = new WorkQueue<T>();
      this.byRank.set(rank, work);
      this.order.push(rank);
      this.order.sort((a, b) => b - a);
    }
    work.push(actorPriority, item);
    this.size++;
  }

  shift(): T | undefined {
    if (this.size === 0) return undefined;
    for (const rank of this.order) {
      const work = this.byRank.get(rank)!;
      if (work.size > 0) {
        this.size--;
        return work.shift();
      }
    }
    return undefined;
  }

  drain(): T[] {
    const out: T[] = [];
    for (const rank of this.order) out.push(...this.byRank.get(rank)!.drain());
    this.size = 0;
    return out;
  }

  take(queueName: string): T[] {
    const work = this.byRank.get(this.rank(queueName));
    if (work === undefined) return [];
    const taken = takeFrom(work, queueName, priorityOf);
    this.size -= taken.length;
    return taken;
  }

  outranked(queueName: string): boolean {
    const mine = this.rank(queueName);
    for (const rank of this.order) {
      if (rank <= mine) return false;
      if (this.byRank.get(rank)!.size > 0) return true;
    }
    return false;
  }
}

interface WeightedLane<T> {
  readonly weight: number;
  readonly work: WorkQueue<T>;
  running: number;
}

/**
 * `queueWeights`: each start goes to the queue with waiting work that holds the fewest slots
 * for its weight, so busy queues share the slots in proportion and none starves.
 * Unlisted queues weigh 1.
 */
export class WeightedLanes<T extends LaneItem> implements Lanes<T> {
  private readonly weights: Readonly<Record<string, number>>;
  private readonly lanes = new Map<string, WeightedLane<T>>();
  size = 0;

  constructor(weights: Readonly<Record<string, number>>) {
    this.weights = weights;
  }

  private lane(queueName: string): WeightedLane<T> {
    let lane = this.lanes.get(queueName);
    if (lane === undefined) {
      const weight = Object.hasOwn(this.weights, queueName) ? this.weights[queueName]! : 1;
      lane = { weight, work: new WorkQueue<T>(), running: 0 };
      this.lanes.set(queueName, lane);
    }
    return lane;
  }

  push(actorPriority: number, item: T): void {
    this.lane(item.loop.queueName).work.push(actorPriority, item);
    this.size++;
  }

  shift(): T | undefined {
    let best: WeightedLane<T> | undefined;
    let bestLoad = Number.POSITIVE_INFINITY;
    for (const lane of this.lanes.values()) {
      if (lane.work.size === 0) continue;
      const load = (lane.running + 1) / lane.weight;
      if (load < bestLoad || (load === bestLoad && lane.weight > best!.weight)) {
        best = lane;
        bestLoad = load;
      }
    }
    if (best === undefined) return undefined;
    this.size--;
    best.running++;
    return best.work.shift();
  }

  finished(item: T): void {
    const lane = this.lanes.get(item.loop.queueName);
    if (lane !== undefined && lane.running > 0) lane.running--;
  }

  drain(): T[] {
    const out: T[] = [];
    for (const lane of this.lanes.values()) out.push(...lane.work.drain());
    this.size = 0;
    return out;
  }

  take(queueName: string): T[] {
    const lane = this.lanes.get(queueName);
    if (lane === undefined) return [];
    const taken = lane.work.drain();
    this.size -= taken.length;
    return taken;
  }
}

/** Check a `{ queue: number }` option: own, finite numbers (positive for weights). */
export function checkQueueNumbers(
  name: string,
  value: unknown,
  positive: boolean,
): Readonly<Record<string, number>> | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new InvalidArgument(
      `Worker option ${name} must be an object of queue name to number, got ${renderBounded(value, 100)}`,
    );
  }
  const out: Record<string, number> = {};
  for (const [queue, n] of Object.entries(value)) {
    if (typeof n !== "number" || !Number.isFinite(n) || (positive && n <= 0)) {
      throw new InvalidArgument(
        `Worker option ${name}: queue ${renderBounded(queue, 100)} must map to ${positive ? "a finite number > 0" : "a finite number"}, got ${typeof n === "number" ? String(n) : renderBounded(n, 100)}`,
      );
    }
    out[queue] = n;
  }
  return out;
}
