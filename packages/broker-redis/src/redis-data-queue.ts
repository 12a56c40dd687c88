import type { DataQueueOptions } from "@taskq/core";
import { DataQueue } from "@taskq/core";
import type { RedisConnection } from "@taskq/redis-common";
import type { DataScriptClient } from "./data-scripts.js";
import type { WakeUps } from "./wake-ups.js";

/** What a data queue needs from its broker. */
export interface DataQueueHost {
  connection: RedisConnection<DataScriptClient>;
  namespace: string;
  wakeUps: WakeUps;
}

/**
 * The keys of one data queue. The `__data__:` prefix holds a colon, which no queue name may
 * contain, so they never meet a task queue's keys (`ns:<q>`, `ns:<q>.msgs`...); the braces
 * keep them in one Redis Cluster slot, as a script needs.
 */
export function dataKeys(namespace: string, name: string): string[] {
  const base = `${namespace}:__data__:{${name}}`;
  return [
    `${base}:ready`,
    `${base}:items`,
    `${base}:leases`,
    `${base}:delayed`,
    `${base}:leased`,
    `${base}:dead`,
  ];
}

/** The wake-up topic of a data queue (its channel is `ns:__wake__.__data__:<name>`, tagged in cluster mode). */
export function dataWakeTopic(name: string): string {
  return `__data__:${name}`;
}

/** `put` sends at most this many items per script call, so a call never holds Redis long. */
const PUT_CHUNK = 1000;

/**
 * A data queue on Redis: every operation is one Lua script, which first applies what the
 * clock did (due delayed items, expired leases), so no poller is needed; `get(1000)` is one
 * round trip. A blocking `get` parks on the broker's pub/sub wake-ups, at most until the
 * next delayed item or lease deadline.
 */
export class RedisDataQueue<T = unknown> extends DataQueue<T> {
  private readonly host: DataQueueHost;
  private readonly keys: string[];
  private readonly channel: string;

  constructor(host: DataQueueHost, name: string, options: DataQueueOptions = {}) {
    super(name, options);
    this.host = host;
    this.keys = dataKeys(host.namespace, name);
    this.channel = host.wakeUps.channel(dataWakeTopic(name));
  }

  /** Keys and the args every script starts with. */
  private head(): (string | number)[] {
    return [...this.keys, this.attempts, this.useDead ? "1" : "0", this.channel];
  }

  protected async doPut(ids: string[], data: string[], delay: number): Promise<void> {
    const calls: Promise<number>[] = [];
    for (let start = 0; start < ids.length; start += PUT_CHUNK) {
      const pairs: string[] = [];
      for (let i = start; i < Math.min(ids.length, start + PUT_CHUNK); i++)
        pairs.push(ids[i]!, data[i]!);
      calls.push(
        this.host.connection.run(
          () => `put ${pairs.length / 2} items on data queue ${this.name}`,
          (client) => client.taskqDataPut(...this.head(), delay, "0", ...pairs),
          { retry: (client) => client.taskqDataPut(...this.head(), delay, "1", ...pairs) },
        ),
      );
    }
    const results = await Promise.allSettled(calls);
    const failed = results.find((r) => r.status === "rejected");
    if (failed) throw failed.reason;
  }

  /** One script call: the pairs taken, or how long until something may become ready. */
  private async take(n: number, visTimeout: number): Promise<[string, string][] | number> {
    const reply = await this.host.connection.run(
      () => `get ${n} items from data queue ${this.name}`,
      (client) => client.taskqDataGet(...this.head(), n, visTimeout),
    );
    if (reply.length === 1) return Number(reply[0]);
    const out: [string, string][] = [];
    for (let i = 1; i < reply.length; i += 2) out.push([reply[i]!, reply[i + 1]!]);
    return out;
  }

  protected async doGet(
    n: number,
    visTimeout: number,
    timeout: number,
  ): Promise<[string, string][]> {
    if (timeout <= 0) {
      const got = await this.take(n, visTimeout);
      return typeof got === "number" ? [] : got;
    }
    const deadline = Date.now() + timeout;
    const waker = this.host.wakeUps.watch(dataWakeTopic(this.name));
    try {
      await waker.ready();
      for (;;) {
        waker.clear();
        const got = await this.take(n, visTimeout);
        if (typeof got !== "number") return got;
        const left = deadline - Date.now();
        if (left <= 0) return [];
        await waker.wait(got >= 0 ? Math.min(left, got) : left, undefined);
      }
    } finally {
      waker.close();
    }
  }

  protected doRefresh(ids: string[], visTimeout: number): Promise<string[]> {
    return this.host.connection.run(
      () => `refresh ${ids.length} leases of data queue ${this.name}`,
      (client) => client.taskqDataRefresh(...this.head(), visTimeout, ...ids),
      { idempotent: true },
    );
  }

  protected doDone(ids: string[]): Promise<number> {
    return this.host.connection.run(
      () => `finish ${ids.length} items of data queue ${this.name}`,
      (client) => client.taskqDataDone(...this.head(), ...ids),
      { idempotent: true },
    );
  }

  protected doSize(): Promise<number> {
    return this.host.connection.run(
      `count the items of data queue ${this.name}`,
      (client) => client.taskqDataSize(...this.head()),
      { idempotent: true },
    );
  }

  protected async doDead(n: number): Promise<[string, string][]> {
    const reply = await this.host.connection.run(
      `list the dead items of data queue ${this.name}`,
      (client) => client.taskqDataDead(...this.head(), n),
      { idempotent: true },
    );
    const out: [string, string][] = [];
    for (let i = 0; i < reply.length; i += 2) out.push([reply[i]!, reply[i + 1]!]);
    return out;
  }
}
