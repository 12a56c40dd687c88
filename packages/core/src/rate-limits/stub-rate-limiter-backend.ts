import { KeyedWaiters } from "../keyed-waiters.js";
import { RateLimiterBackend, resolveKeys } from "./rate-limiter-backend.js";

interface Entry {
  value: number;
  expiresAt: number;
}

/**
 * In-memory rate limiter backend, for tests and single-process use. Operations are
 * synchronous inside, hence atomic; notifications wake waiters at once, without polling.
 */
export class StubRateLimiterBackend extends RateLimiterBackend {
  private readonly entries = new Map<string, Entry>();
  private readonly events = new Map<string, number>();
  private readonly waiters = new KeyedWaiters();

  private read(key: string, now = Date.now()): number | undefined {
    const entry = this.entries.get(key);
    if (entry === undefined) return undefined;
    if (entry.expiresAt <= now) {
      this.entries.delete(key);
      return undefined;
    }
    return entry.value;
  }

  private write(key: string, value: number, ttl: number): void {
    this.entries.set(key, { value, expiresAt: Date.now() + ttl });
  }

  async add(key: string, value: number, ttl: number): Promise<boolean> {
    if (this.read(key) !== undefined) return false;
    this.write(key, value, ttl);
    return true;
  }

  async incr(key: string, amount: number, maximum: number, ttl: number): Promise<boolean> {
    const next = (this.read(key) ?? 0) + amount;
    if (next > maximum) return false;
    this.write(key, next, ttl);
    return true;
  }

  async decr(key: string, amount: number, minimum: number, ttl: number): Promise<boolean> {
    const next = (this.read(key) ?? 0) - amount;
    if (next < minimum) return false;
    this.write(key, next, ttl);
    return true;
  }

  async incrAndSum(
    key: string,
    keys: readonly string[] | (() => readonly string[]),
    amount: number,
    maximum: number,
    ttl: number,
  ): Promise<boolean> {
    const now = Date.now();
    let sum = amount;
    for (const k of resolveKeys(keys)) sum += this.read(k, now) ?? 0;
    if (sum > maximum) return false;
    this.write(key, (this.read(key, now) ?? 0) + amount, ttl);
    return true;
  }

  async wait(key: string, timeout: number): Promise<boolean> {
    const until = this.events.get(key);
    if (until !== undefined && until > Date.now()) return true;
    return this.waiters.wait(key, timeout);
  }

  async waitNotify(key: string, ttl: number): Promise<void> {
    this.events.set(key, Date.now() + ttl);
    this.waiters.wake(key);
  }
}
