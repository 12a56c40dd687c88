import type { DataQueueOptions, DataQueueSettings } from "../data-queue.js";
import { DataQueue } from "../data-queue.js";

/**
 * The items of one data queue of a StubBroker, shared by every `dataQueue(name)` handle.
 * Items are kept as JSON text, so what `get` returns is a copy, as from a real server.
 */
export class StubDataStore {
  readonly items = new Map<string, string>();
  /** Ready ids, oldest first. */
  ready: string[] = [];
  readonly leases = new Map<string, number>();
  readonly delayed = new Map<string, number>();
  /** Leases given so far, per id. */
  readonly leaseCounts = new Map<string, number>();
  /** Dead ids → when they died, in insertion order. */
  readonly deadIds = new Map<string, number>();
  readonly waiters = new Set<() => void>();

  /**
   * What the clock has made of the queue: due delayed items become ready, expired leases
   * come back at the front (earliest deadline first) or die after `attempts` leases.
   */
  settle(now: number, settings: DataQueueSettings): void {
    const due = [...this.delayed].filter(([, at]) => at <= now).sort((a, b) => a[1] - b[1]);
    for (const [id] of due) {
      this.delayed.delete(id);
      this.ready.push(id);
    }
    const expired = [...this.leases].filter(([, at]) => at <= now).sort((a, b) => a[1] - b[1]);
    const back: string[] = [];
    for (const [id] of expired) {
      this.leases.delete(id);
      if ((this.leaseCounts.get(id) ?? 0) < settings.attempts) {
        back.push(id);
      } else {
        this.leaseCounts.delete(id);
        if (settings.useDead) this.deadIds.set(id, now);
        else this.items.delete(id);
      }
    }
    if (back.length > 0) this.ready = [...back, ...this.ready];
    if (due.length > 0 || back.length > 0) this.wake();
  }

  /** Ms until the next delayed item is due or lease expires; undefined when there is none. */
  nextChange(now: number): number | undefined {
    let next = Number.POSITIVE_INFINITY;
    for (const at of this.delayed.values()) next = Math.min(next, at);
    for (const at of this.leases.values()) next = Math.min(next, at);
    return next === Number.POSITIVE_INFINITY ? undefined : Math.max(0, next - now);
  }

  wake(): void {
    for (const w of this.waiters) w();
  }
}

/** A StubBroker's data queue: in memory, with the same rules as on Redis. */
export class StubDataQueue<T = unknown> extends DataQueue<T> {
  private readonly store: StubDataStore;

  constructor(store: StubDataStore, name: string, options: DataQueueOptions = {}) {
    super(name, options);
    this.store = store;
  }

  private settled(): StubDataStore {
    this.store.settle(Date.now(), this.settings);
    return this.store;
  }

  protected async doPut(ids: string[], data: string[], delay: number): Promise<void> {
    const s = this.store;
    const at = Date.now() + delay;
    for (let i = 0; i < ids.length; i++) {
      s.items.set(ids[i]!, data[i]!);
      if (delay > 0) s.delayed.set(ids[i]!, at);
      else s.ready.push(ids[i]!);
    }
    if (delay === 0) s.wake();
  }

  private take(n: number, visTimeout: number): [string, string][] {
    const s = this.settled();
    const ids = s.ready.splice(0, n);
    const now = Date.now();
    const out: [string, string][] = [];
    for (const id of ids) {
      const data = s.items.get(id);
      if (data === undefined) continue;
      out.push([id, data]);
      if (visTimeout > 0) {
        s.leases.set(id, now + visTimeout);
        s.leaseCounts.set(id, (s.leaseCounts.get(id) ?? 0) + 1);
      } else {
        s.items.delete(id);
        s.leaseCounts.delete(id);
      }
    }
    return out;
  }

  protected async doGet(
    n: number,
    visTimeout: number,
    timeout: number,
  ): Promise<[string, string][]> {
    const deadline = Date.now() + timeout;
    for (;;) {
      const got = this.take(n, visTimeout);
      const left = deadline - Date.now();
      if (got.length > 0 || left <= 0) return got;
      const next = this.store.nextChange(Date.now());
      await this.waitFor(Math.min(left, next ?? left));
    }
  }

  private waitFor(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.store.waiters.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.store.waiters.add(done);
    });
  }

  protected async doRefresh(ids: string[], visTimeout: number): Promise<string[]> {
    const s = this.settled();
    const at = Date.now() + visTimeout;
    const held: string[] = [];
    for (const id of ids) {
      if (!s.leases.has(id)) continue;
      s.leases.set(id, at);
      held.push(id);
    }
    return held;
  }

  protected async doDone(ids: string[]): Promise<number> {
    const s = this.settled();
    let removed = 0;
    for (const id of ids) {
      if (s.leases.delete(id) || s.deadIds.delete(id)) {
        s.items.delete(id);
        s.leaseCounts.delete(id);
        removed++;
      }
    }
    return removed;
  }

  protected async doSize(): Promise<number> {
    return this.settled().ready.length;
  }

  protected async doDead(n: number): Promise<[string, string][]> {
    const s = this.settled();
    const out: [string, string][] = [];
    for (const id of s.deadIds.keys()) {
      if (out.length >= n) break;
      const data = s.items.get(id);
      if (data !== undefined) out.push([id, data]);
    }
    return out;
  }
}
