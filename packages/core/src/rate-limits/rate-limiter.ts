import { InvalidArgument, RateLimitExceeded } from "../errors.js";
import type { RateLimiterBackend } from "./rate-limiter-backend.js";

/** Options of `rateLimiter.acquire()`. */
export interface AcquireOptions {
  /** Reject with RateLimitExceeded when no slot is free (default); otherwise resolve undefined. */
  raiseOnFailure?: boolean;
}

/** Runs functions inside slots that a backend shares across processes. */
export abstract class RateLimiter {
  /** Where the limiter's counters are kept. */
  readonly backend: RateLimiterBackend;
  /** The limiter's key on the backend: limiters with the same key share the limit. */
  readonly key: string;

  constructor(backend: RateLimiterBackend, key: string) {
    if (typeof key !== "string" || key.length === 0)
      throw new InvalidArgument("A rate limiter needs a non-empty key");
    this.backend = backend;
    this.key = key;
  }

  /** Take a slot; false when none is free. */
  protected abstract tryAcquire(): Promise<boolean>;

  /** Give the slot back (limiters that count time, not holders, have nothing to give back). */
  protected async release(): Promise<void> {}

  /**
   * Run `fn` inside a slot and resolve to its value. When no slot is free: reject with
   * RateLimitExceeded, or, with `raiseOnFailure: false`, resolve undefined without running `fn`.
   */
  acquire<T>(fn: () => T | Promise<T>): Promise<T>;
  acquire<T>(fn: () => T | Promise<T>, options: { raiseOnFailure: false }): Promise<T | undefined>;
  acquire<T>(fn: () => T | Promise<T>, options?: AcquireOptions): Promise<T | undefined>;
  async acquire<T>(fn: () => T | Promise<T>, options: AcquireOptions = {}): Promise<T | undefined> {
    const acquired = await this.tryAcquire();
    if (!acquired) {
      if (options.raiseOnFailure ?? true)
        throw new RateLimitExceeded(`rate limit exceeded for key ${JSON.stringify(this.key)}`);
      return undefined;
    }
    try {
      return await fn();
    } finally {
      await this.release();
    }
  }
}

export function positive(name: string, value: number, integer = true): number {
  if (typeof value !== "number" || !(value > 0) || (integer && !Number.isInteger(value))) {
    throw new InvalidArgument(
      `${name} must be a positive ${integer ? "integer" : "number"}, got ${String(value)}`,
    );
  }
  return value;
}
