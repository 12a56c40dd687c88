import { createHash } from "node:crypto";
import { lazyLogger, RateLimiterBackend, validateOptions } from "@taskq/core";
import {
  connectionError,
  createClient,
  expiration,
  memcachedOptionChecks,
} from "@taskq/memcached-common";
import type memjs from "memjs";
import { casSet, gets } from "./cas.js";

/** How to reach memcached: a server list, or a client of your own. */
export interface MemcachedConnectionOptions {
  /** `host:port`, several comma-separated, or a list. Default `127.0.0.1:11211`. */
  servers?: string | string[];
  /** A memjs client to use (left open by `close()`). */
  client?: memjs.Client;
}

/** Options of `new MemcachedRateLimiterBackend()`. */
export interface MemcachedRateLimiterBackendOptions extends MemcachedConnectionOptions {
  /** Prefix of every key. Default `taskq-ratelimits`. */
  namespace?: string;
}

/** Memcached's text-safe keys: no spaces or control characters. */
function isPlainKey(key: string): boolean {
  for (let i = 0; i < key.length; i++) {
    const c = key.charCodeAt(i);
    if (c <= 0x20 || c === 0x7f) return false;
  }
  return true;
}

/** A CAS loop that keeps losing is a bug or a storm: give up loudly rather than spin. */
const MAX_CAS_ATTEMPTS = 1000;
const WAIT_MIN = 10;
const WAIT_MAX = 200;

/**
 * Rate limiter state in memcached. Increments and decrements are compare-and-swap loops, so
 * one that would pass its bound writes nothing (memcached's own INCR cannot refuse, and
 * undoing it afterwards leaves the counter raised for others in between). Memcached cannot
 * block, so `wait` polls with backoff.
 */
export class MemcachedRateLimiterBackend extends RateLimiterBackend {
  /** The memjs client in use (yours when you passed `client`). */
  readonly client: memjs.Client;
  /** Prefix of every key. */
  readonly namespace: string;
  private readonly owned: boolean;
  private readonly log = lazyLogger("taskq.MemcachedRateLimiterBackend");

  constructor(given: MemcachedRateLimiterBackendOptions = {}) {
    validateOptions("MemcachedRateLimiterBackend", given, memcachedOptionChecks);
    // Own properties only, as validated: nothing is taken from a prototype.
    const options: MemcachedRateLimiterBackendOptions = { ...given };
    super();
    this.namespace = options.namespace ?? "taskq-ratelimits";
    const { client, owned } = createClient("MemcachedRateLimiterBackend", options, this.log);
    this.client = client;
    this.owned = owned;
  }

  /** Memcached keys are at most 250 bytes without spaces: longer or odd ones are hashed. */
  private key(key: string): string {
    const full = `${this.namespace}:${key}`;
    return full.length <= 250 && isPlainKey(full)
      ? full
      : `${this.namespace}:#${createHash("sha1").update(key).digest("hex")}`;
  }

  private async io<T>(doing: string, run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (err) {
      throw connectionError(this.client, doing, err);
    }
  }

  async add(key: string, value: number, ttl: number): Promise<boolean> {
    return this.io("add a rate limit key", () =>
      this.client.add(this.key(key), String(value), { expires: expiration(ttl) }),
    );
  }

  /** Move `key` by `amount` if `allowed(next)`; CAS, so nothing is written otherwise. */
  private async change(
    key: string,
    amount: number,
    allowed: (next: number) => boolean | Promise<boolean>,
    ttl: number,
  ): Promise<boolean> {
    const k = this.key(key);
    const expires = expiration(ttl);
    for (let attempt = 0; attempt < MAX_CAS_ATTEMPTS; attempt++) {
      const current = await this.io("read a rate limit key", () => gets(this.client, k));
      const next = (current === null ? 0 : Number(current.value.toString())) + amount;
      if (!(await allowed(next))) return false;
      const stored =
        current === null
          ? await this.io("add a rate limit key", () =>
              this.client.add(k, String(next), { expires }),
            )
          : await this.io("update a rate limit key", () =>
              casSet(this.client, k, String(next), expires, current.cas),
            );
      if (stored) return true;
    }
    throw new Error(
      `Rate limit key ${key} kept changing under ${MAX_CAS_ATTEMPTS} compare-and-swap attempts`,
    );
  }

  incr(key: string, amount: number, maximum: number, ttl: number): Promise<boolean> {
    return this.change(key, amount, (next) => next <= maximum, ttl);
  }

  decr(key: string, amount: number, minimum: number, ttl: number): Promise<boolean> {
    return this.change(key, -amount, (next) => next >= minimum, ttl);
  }

  async incrAndSum(
    key: string,
    keys: readonly string[] | (() => readonly string[]),
    amount: number,
    maximum: number,
    ttl: number,
  ): Promise<boolean> {
    const others = (typeof keys === "function" ? keys() : keys)
      .filter((k) => k !== key)
      .map((k) => this.key(k));
    // Each attempt reads the other keys afresh; the CAS guards the key it increments.
    const sumOfOthers = async () => {
      const values = await Promise.all(
        others.map((k) => this.io("read a rate limit key", () => this.client.get(k))),
      );
      return values.reduce(
        (sum, { value }) => sum + (value === null ? 0 : Number(value.toString())),
        0,
      );
    };
    return this.change(key, amount, async (next) => next + (await sumOfOthers()) <= maximum, ttl);
  }

  async wait(key: string, timeout: number): Promise<boolean> {
    const k = this.key(key);
    const deadline = Date.now() + timeout;
    let delay = WAIT_MIN;
    for (;;) {
      const { value } = await this.io("wait on a rate limit key", () => this.client.get(k));
      if (value !== null) return true;
      const left = deadline - Date.now();
      if (left <= 0) return false;
      await new Promise((r) => setTimeout(r, Math.min(delay, left)));
      delay = Math.min(delay * 2, WAIT_MAX);
    }
  }

  async waitNotify(key: string, ttl: number): Promise<void> {
    await this.io("notify a rate limit key", () =>
      this.client.set(this.key(key), "x", { expires: expiration(ttl) }),
    );
  }

  /** Close the connections this backend opened. */
  async close(): Promise<void> {
    if (this.owned) this.client.close();
  }
}
