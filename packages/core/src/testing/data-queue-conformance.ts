import { afterEach, describe, expect, test } from "vitest";
import type { Broker } from "../broker.js";
import { EncodeError, InvalidArgument } from "../errors.js";
import type { MakeBroker } from "./broker-conformance.js";
import { sleep, waitUntil } from "./wait.js";

/** Options of `dataQueueConformance(makeBroker, options)`. */
export interface DataQueueConformanceOptions {
  /** Suite title. Default "data queue conformance". */
  name?: string;
  /** Per-test timeout, ms. Default 30 000. */
  timeout?: number;
  /** Release a broker after a test. Default: close. */
  destroy?: (broker: Broker) => Promise<void>;
}

/** A lease short enough to wait out in a test, long enough to survive a loaded machine. */
const LEASE = 300;

/**
 * The rules of `broker.dataQueue(...)` (DESIGN §13), through the public API only.
 * `makeBroker` must return a fresh broker whose data queues start empty.
 */
export function dataQueueConformance(
  makeBroker: MakeBroker,
  options: DataQueueConformanceOptions = {},
): void {
  const timeout = options.timeout ?? 30_000;
  const destroy = options.destroy ?? ((b: Broker) => b.close());

  describe(options.name ?? "data queue conformance", () => {
    const cleanups: (() => Promise<void>)[] = [];

    afterEach(async () => {
      while (cleanups.length > 0) await cleanups.pop()!();
    });

    async function setup(): Promise<Broker> {
      const broker = await makeBroker();
      cleanups.push(() => destroy(broker));
      return broker;
    }

    test(
      "put resolves to one id per item in item order; get returns them oldest first, as JSON copies",
      async () => {
        const q = (await setup()).dataQueue("items");
        const items = [{ a: 1, nested: [1, "two", null] }, "text", 3.5, null, [true, false]];
        const ids = await q.put(items);
        expect(ids).toHaveLength(items.length);
        expect(new Set(ids).size).toBe(items.length);
        expect(await q.size()).toBe(items.length);
        const first = await q.get(2);
        expect([...first.keys()]).toEqual(ids.slice(0, 2));
        expect([...first.values()]).toEqual(items.slice(0, 2));
        const rest = await q.get(100);
        expect([...rest.keys()]).toEqual(ids.slice(2));
        expect([...rest.values()]).toEqual(items.slice(2));
        expect(await q.put([])).toEqual([]);
      },
      timeout,
    );

    test(
      "get(1000) takes a whole batch of 1,000 in one call",
      async () => {
        const q = (await setup()).dataQueue("batch");
        const items = Array.from({ length: 1500 }, (_, i) => ({ i }));
        const ids = await q.put(items);
        const got = await q.get(1000);
        expect([...got.keys()]).toEqual(ids.slice(0, 1000));
        expect(await q.size()).toBe(500);
      },
      timeout,
    );

    test(
      "visTimeout 0 (default): get removes items, which never come back",
      async () => {
        const q = (await setup()).dataQueue("zero-one", { attempts: 3 });
        await q.put(["a", "b"]);
        expect([...(await q.get(1)).values()]).toEqual(["a"]);
        expect(await q.size()).toBe(1);
        await sleep(LEASE * 2);
        expect([...(await q.get(10)).values()]).toEqual(["b"]);
        expect(await q.size()).toBe(0);
        expect((await q.get(10)).size).toBe(0);
      },
      timeout,
    );

    test(
      "a leased item is hidden, then comes back at the front when its lease expires",
      async () => {
        const q = (await setup()).dataQueue("lease", { attempts: 2, visTimeout: LEASE });
        const [a, b] = await q.put(["a", "b"]);
        const leased = await q.get(1);
        expect([...leased.keys()]).toEqual([a]);
        expect(await q.size()).toBe(1);
        await waitUntil(async () => (await q.size()) === 2, { what: "the lease expired" });
        const again = await q.get(2);
        expect([...again.keys()]).toEqual([a, b]);
        expect(again.get(a!)).toBe("a");
      },
      timeout,
    );

    test(
      "a per-call visTimeout overrides the queue's: 0 removes, > 0 leases",
      async () => {
        const q = (await setup()).dataQueue("override", { visTimeout: 60_000 });
        const [x] = await q.put(["x"]);
        await q.get(1, { visTimeout: 0 });
        // Removed, not leased: there is no lease to finish.
        expect(await q.done([x!])).toBe(0);
        const lq = (await setup()).dataQueue("override2", { attempts: 2 });
        const [id] = await lq.put(["y"]);
        await lq.get(1, { visTimeout: LEASE });
        await waitUntil(async () => (await lq.size()) === 1, { what: "the lease expired" });
        expect([...(await lq.get(1)).keys()]).toEqual([id]);
      },
      timeout,
    );

    test(
      "after `attempts` expired leases an item is dropped, or kept for dead() with useDead",
      async () => {
        const broker = await setup();
        const dropped = broker.dataQueue("drop", { attempts: 2, visTimeout: LEASE });
        const kept = broker.dataQueue("keep", { attempts: 2, visTimeout: LEASE, useDead: true });
        await dropped.put(["d"]);
        const [k] = await kept.put([{ k: 1 }]);
        for (const q of [dropped, kept]) {
          for (let lease = 1; lease <= 2; lease++) {
            await waitUntil(async () => (await q.get(1)).size === 1, {
              what: `lease ${lease} was given`,
            });
          }
        }
        await sleep(LEASE * 2);
        expect(await dropped.size()).toBe(0);
        expect((await dropped.get(1)).size).toBe(0);
        expect((await dropped.dead()).size).toBe(0);
        expect(await kept.size()).toBe(0);
        expect((await kept.get(1)).size).toBe(0);
        const dead = await kept.dead();
        expect([...dead]).toEqual([[k, { k: 1 }]]);
        expect((await kept.dead()).size).toBe(1);
        expect(await kept.done(dead)).toBe(1);
        expect((await kept.dead()).size).toBe(0);
      },
      timeout,
    );

    test(
      "attempts 1 (default) with useDead: the first expired lease makes the item dead",
      async () => {
        const q = (await setup()).dataQueue("once", { visTimeout: LEASE, useDead: true });
        const [id] = await q.put(["once"]);
        await q.get(1);
        await waitUntil(async () => (await q.dead()).has(id!), { what: "the item died" });
        expect(await q.size()).toBe(0);
      },
      timeout,
    );

    test(
      "done finishes leased items: they never come back; unknown ids are ignored",
      async () => {
        const q = (await setup()).dataQueue("done", { attempts: 5, visTimeout: LEASE });
        await q.put(["a", "b", "c"]);
        const got = await q.get(2);
        expect(await q.done([...got.keys(), "no-such-id"])).toBe(2);
        expect(await q.done(got)).toBe(0);
        await sleep(LEASE * 3);
        expect(await q.size()).toBe(1);
        expect([...(await q.get(5)).values()]).toEqual(["c"]);
      },
      timeout,
    );

    test(
      "refresh extends a lease and resolves to the ids still held",
      async () => {
        const q = (await setup()).dataQueue("refresh", { attempts: 5, visTimeout: LEASE });
        const [a, b] = await q.put(["a", "b"]);
        await q.get(2);
        // b's lease runs out; a's is renewed for far longer.
        expect(await q.refresh([a!], { visTimeout: 60_000 })).toEqual([a]);
        await waitUntil(async () => (await q.size()) === 1, { what: "b's lease expired" });
        expect(await q.refresh([a!, b!, "no-such-id"])).toEqual([a]);
        expect([...(await q.get(5)).keys()]).toEqual([b]);
        expect(await q.size()).toBe(0);
        expect(await q.done([a!])).toBe(1);
      },
      timeout,
    );

    test(
      "put with delay hides items from get and size until due",
      async () => {
        const q = (await setup()).dataQueue("delay");
        const started = Date.now();
        const [id] = await q.put(["later"], { delay: 600 });
        expect(await q.size()).toBe(0);
        expect((await q.get(1)).size).toBe(0);
        await waitUntil(async () => (await q.size()) === 1, { what: "the item was due" });
        expect(Date.now() - started).toBeGreaterThanOrEqual(550);
        expect([...(await q.get(1)).keys()]).toEqual([id]);
      },
      timeout,
    );

    test(
      "get with timeout 0 (default) resolves at once; with a timeout and nothing coming, resolves empty after it",
      async () => {
        const q = (await setup()).dataQueue("empty");
        let started = Date.now();
        expect((await q.get(1)).size).toBe(0);
        expect(Date.now() - started).toBeLessThan(2000);
        started = Date.now();
        expect((await q.get(1, { timeout: 400 })).size).toBe(0);
        expect(Date.now() - started).toBeGreaterThanOrEqual(350);
      },
      timeout,
    );

    test(
      "a blocked get resolves on a put, long before its timeout",
      async () => {
        const broker = await setup();
        const q = broker.dataQueue("wake");
        const started = Date.now();
        const waiting = q.get(10, { timeout: 20_000 });
        await sleep(300);
        const other = broker.dataQueue("wake");
        const ids = await other.put(["a", "b"]);
        const got = await waiting;
        expect(got.size).toBeGreaterThanOrEqual(1);
        expect(ids).toEqual(expect.arrayContaining([...got.keys()]));
        expect(Date.now() - started).toBeLessThan(10_000);
      },
      timeout,
    );

    test(
      "a blocked get resolves when a delayed item is due or a lease expires",
      async () => {
        const q = (await setup()).dataQueue("wake2", { attempts: 2 });
        const [d] = await q.put(["delayed"], { delay: 500 });
        let started = Date.now();
        expect([...(await q.get(1, { timeout: 20_000, visTimeout: 500 })).keys()]).toEqual([d]);
        expect(Date.now() - started).toBeLessThan(10_000);
        started = Date.now();
        expect([...(await q.get(1, { timeout: 20_000 })).keys()]).toEqual([d]);
        expect(Date.now() - started).toBeLessThan(10_000);
      },
      timeout,
    );

    test(
      "data queues are independent of each other and of the broker's task queues",
      async () => {
        const broker = await setup();
        broker.declareQueue("shared");
        const a = broker.dataQueue("shared");
        const b = broker.dataQueue("other");
        await a.put([1, 2]);
        expect(await b.size()).toBe(0);
        expect((await broker.getQueueMessageCounts("shared")).ready).toBe(0);
        expect(await broker.dataQueue("shared").size()).toBe(2);
      },
      timeout,
    );

    test(
      "bad arguments are InvalidArgument or EncodeError naming the problem, and store nothing",
      async () => {
        const broker = await setup();
        expect(() => broker.dataQueue("bad name!")).toThrow(InvalidArgument);
        expect(() => broker.dataQueue("q", { attempts: 0 })).toThrow(/attempts/);
        expect(() => broker.dataQueue("q", { visTimeout: -1 })).toThrow(/visTimeout/);
        expect(() => broker.dataQueue("q", { useDead: "yes" as unknown as boolean })).toThrow(
          /useDead/,
        );
        const q = broker.dataQueue("q");
        await expect(q.put("abc" as unknown as string[])).rejects.toThrow(InvalidArgument);
        await expect(q.put([1, undefined])).rejects.toThrow(EncodeError);
        await expect(q.put([1, { f: () => 1 }])).rejects.toThrow(/items\[1\]\.f/);
        await expect(q.put([1, Number.NaN])).rejects.toThrow(EncodeError);
        await expect(q.put([1], { delay: -5 })).rejects.toThrow(/delay/);
        expect(await q.size()).toBe(0);
        await expect(q.get(0)).rejects.toThrow(/n must be/);
        await expect(q.get(1.5)).rejects.toThrow(InvalidArgument);
        await expect(q.get(1, { timeout: -1 })).rejects.toThrow(/timeout/);
        await expect(q.get(1, { visTimeout: Number.NaN })).rejects.toThrow(/visTimeout/);
        await expect(q.refresh(["x"])).rejects.toThrow(/visTimeout/);
        await expect(q.refresh("x" as unknown as string[], { visTimeout: 10 })).rejects.toThrow(
          InvalidArgument,
        );
        await expect(q.done([1 as unknown as string])).rejects.toThrow(/string/);
        await expect(q.dead(0)).rejects.toThrow(InvalidArgument);
      },
      timeout,
    );
  });
}
