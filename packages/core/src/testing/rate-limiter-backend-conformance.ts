import { randomUUID } from "node:crypto";
import { describe, expect, test } from "vitest";
import { RateLimitExceeded } from "../errors.js";
import { Barrier } from "../rate-limits/barrier.js";
import { BucketRateLimiter } from "../rate-limits/bucket-rate-limiter.js";
import { ConcurrentRateLimiter } from "../rate-limits/concurrent-rate-limiter.js";
import type { RateLimiterBackend } from "../rate-limits/rate-limiter-backend.js";
import { WindowRateLimiter } from "../rate-limits/window-rate-limiter.js";
import { trackInstances } from "./instances.js";
import { gate, sleep } from "./wait.js";

/** Makes a fresh rate limiter backend for one test of the conformance suite. */
export type MakeRateLimiterBackend = () => RateLimiterBackend | Promise<RateLimiterBackend>;

/** Options of `rateLimiterBackendConformance`. */
export interface RateLimiterBackendConformanceOptions {
  /** Suite title. Default "rate limiter backend conformance". */
  name?: string;
  /** Per-test timeout, ms. Default 30 000. */
  timeout?: number;
  /** Release a backend after a test (close its connection). */
  destroy?: (backend: RateLimiterBackend) => Promise<void>;
  /** Smallest TTL the backend honours, ms (memcached counts whole seconds). Default 200. */
  minTtl?: number;
}

const key = () => `conformance-${randomUUID()}`;

/**
 * What every rate limiter backend must do, and the limiters built on it: atomic add / incr /
 * decr / incrAndSum with TTLs, wait / waitNotify, and the concurrent, bucket and window
 * limiters and the barrier behaving as promised under concurrent callers.
 */
export function rateLimiterBackendConformance(
  makeBackend: MakeRateLimiterBackend,
  options: RateLimiterBackendConformanceOptions = {},
): void {
  const timeout = options.timeout ?? 30_000;
  const minTtl = options.minTtl ?? 200;

  describe(options.name ?? "rate limiter backend conformance", () => {
    const setup = trackInstances(makeBackend, options.destroy);

    test("add sets a key only when it is absent", { timeout }, async () => {
      const b = await setup();
      const k = key();
      expect(await b.add(k, 5, 60_000)).toBe(true);
      expect(await b.add(k, 7, 60_000)).toBe(false);
      // The value is 5: two more fit under a maximum of 7, a third does not.
      expect(await b.incr(k, 2, 7, 60_000)).toBe(true);
      expect(await b.incr(k, 1, 7, 60_000)).toBe(false);
    });

    test("incr stops at the maximum and leaves nothing behind when refused", {
      timeout,
    }, async () => {
      const b = await setup();
      const k = key();
      const results = [];
      for (let i = 0; i < 5; i++) results.push(await b.incr(k, 1, 3, 60_000));
      expect(results).toEqual([true, true, true, false, false]);
      // A refused increment did not raise the counter: one decrement makes room for one.
      expect(await b.decr(k, 1, 0, 60_000)).toBe(true);
      expect(await b.incr(k, 1, 3, 60_000)).toBe(true);
      expect(await b.incr(k, 1, 3, 60_000)).toBe(false);
    });

    test("decr stops at the minimum", { timeout }, async () => {
      const b = await setup();
      const k = key();
      await b.add(k, 2, 60_000);
      expect(await b.decr(k, 1, 0, 60_000)).toBe(true);
      expect(await b.decr(k, 1, 0, 60_000)).toBe(true);
      expect(await b.decr(k, 1, 0, 60_000)).toBe(false);
    });

    test("incrAndSum increments one key while the sum of all stays within the maximum", {
      timeout,
    }, async () => {
      const b = await setup();
      const [k1, k2, k3] = [key(), key(), key()];
      await b.add(k2, 2, 60_000);
      expect(await b.incrAndSum(k1, [k1, k2, k3], 1, 4, 60_000)).toBe(true);
      expect(await b.incrAndSum(k1, () => [k1, k2, k3], 1, 4, 60_000)).toBe(true);
      expect(await b.incrAndSum(k1, [k1, k2, k3], 1, 4, 60_000)).toBe(false);
      expect(await b.incrAndSum(k3, [k1, k2, k3], 1, 4, 60_000)).toBe(false);
    });

    test("keys expire after their TTL", { timeout }, async () => {
      const b = await setup();
      const k = key();
      expect(await b.add(k, 1, minTtl)).toBe(true);
      expect(await b.add(k, 1, minTtl)).toBe(false);
      await sleep(minTtl * 2 + 300);
      expect(await b.add(k, 1, minTtl)).toBe(true);
    });

    test("wait times out with false; waitNotify wakes every waiter, and later waits see it", {
      timeout,
    }, async () => {
      const b = await setup();
      const k = key();
      const started = Date.now();
      expect(await b.wait(k, 300)).toBe(false);
      expect(Date.now() - started).toBeGreaterThanOrEqual(250);
      const waiters = [b.wait(k, 10_000), b.wait(k, 10_000), b.wait(k, 10_000)];
      await sleep(100);
      await b.waitNotify(k, 60_000);
      expect(await Promise.all(waiters)).toEqual([true, true, true]);
      expect(await b.wait(k, 300)).toBe(true);
    });

    test("a concurrent limiter of 1 under 8 simultaneous callers admits exactly one", {
      timeout,
    }, async () => {
      const b = await setup();
      const mutex = new ConcurrentRateLimiter(b, key(), { limit: 1 });
      const hold = gate();
      const callers = Array.from({ length: 8 }, () =>
        mutex.acquire(() => hold.promise.then(() => "ran")).catch((e: unknown) => e),
      );
      setTimeout(hold.open, 300);
      const outcomes = await Promise.all(callers);
      expect(outcomes.filter((o) => o === "ran")).toHaveLength(1);
      expect(outcomes.filter((o) => o instanceof RateLimitExceeded)).toHaveLength(7);
      // Released: the next caller gets in.
      expect(await mutex.acquire(() => "again")).toBe("again");
    });

    test("a concurrent limiter of 4 under 32 callers never has more than 4 holders", {
      timeout,
    }, async () => {
      const b = await setup();
      const limiter = new ConcurrentRateLimiter(b, key(), { limit: 4 });
      let holders = 0;
      let peak = 0;
      let ran = 0;
      const caller = async () => {
        for (;;) {
          const done = await limiter.acquire(
            async () => {
              holders++;
              peak = Math.max(peak, holders);
              await sleep(20 + Math.random() * 30);
              holders--;
              ran++;
              return true;
            },
            { raiseOnFailure: false },
          );
          if (done) return;
          await sleep(5 + Math.random() * 10);
        }
      };
      await Promise.all(Array.from({ length: 32 }, caller));
      expect(ran).toBe(32);
      expect(peak).toBeLessThanOrEqual(4);
      expect(peak).toBe(4);
    });

    test("raiseOnFailure: false resolves undefined without running the function", {
      timeout,
    }, async () => {
      const b = await setup();
      const limiter = new ConcurrentRateLimiter(b, key(), { limit: 1 });
      const hold = gate();
      const first = limiter.acquire(() => hold.promise);
      let ran = false;
      const second = await limiter.acquire(
        () => {
          ran = true;
        },
        { raiseOnFailure: false },
      );
      expect(second).toBeUndefined();
      expect(ran).toBe(false);
      hold.open();
      await first;
    });

    test("a bucket limiter admits `limit` calls per bucket", { timeout }, async () => {
      const b = await setup();
      const bucket = 1000;
      const limiter = new BucketRateLimiter(b, key(), { limit: 3, bucket });
      // Start just after a bucket boundary so a burst stays in one bucket.
      await sleep(bucket - (Date.now() % bucket) + 20);
      const first = await Promise.all(
        Array.from({ length: 10 }, () => limiter.acquire(() => 1, { raiseOnFailure: false })),
      );
      expect(first.filter((r) => r === 1)).toHaveLength(3);
      await sleep(bucket - (Date.now() % bucket) + 20);
      const second = await Promise.all(
        Array.from({ length: 10 }, () => limiter.acquire(() => 1, { raiseOnFailure: false })),
      );
      expect(second.filter((r) => r === 1)).toHaveLength(3);
    });

    test("a window limiter never admits more than `limit` in any window", { timeout }, async () => {
      const b = await setup();
      const window = 2;
      const limit = 3;
      const limiter = new WindowRateLimiter(b, key(), { limit, window });
      const admitted: number[] = [];
      const until = Date.now() + 3500;
      while (Date.now() < until) {
        const ok = await limiter.acquire(() => true, { raiseOnFailure: false });
        if (ok) admitted.push(Math.floor(Date.now() / 1000));
        await sleep(25);
      }
      expect(admitted.length).toBeGreaterThanOrEqual(limit);
      for (const second of new Set(admitted)) {
        const inWindow = admitted.filter((s) => s > second - window && s <= second).length;
        expect(inWindow).toBeLessThanOrEqual(limit);
      }
    });

    test("a barrier of 3 releases its blocking waiters together when the last party arrives", {
      timeout,
    }, async () => {
      const b = await setup();
      const barrier = new Barrier(b, key(), { ttl: 60_000 });
      expect(await barrier.create(3)).toBe(true);
      expect(await barrier.create(3)).toBe(false);
      const released: number[] = [];
      const waiting = [0, 1].map(() =>
        barrier.wait({ timeout: 10_000 }).then((ok) => {
          released.push(Date.now());
          return ok;
        }),
      );
      await sleep(300);
      expect(released).toEqual([]);
      const arrived = Date.now();
      expect(await barrier.wait()).toBe(true);
      expect(await Promise.all(waiting)).toEqual([true, true]);
      for (const t of released) expect(t - arrived).toBeLessThan(1000);
    });

    test("a barrier wait that times out resolves false; non-blocking waits report who released it", {
      timeout,
    }, async () => {
      const b = await setup();
      const timed = new Barrier(b, key(), { ttl: 60_000 });
      await timed.create(3);
      expect(await timed.wait({ timeout: 300 })).toBe(false);
      const quick = new Barrier(b, key(), { ttl: 60_000 });
      await quick.create(3);
      expect(await quick.wait({ block: false })).toBe(false);
      expect(await quick.wait({ block: false })).toBe(false);
      expect(await quick.wait({ block: false })).toBe(true);
    });
  });
}
