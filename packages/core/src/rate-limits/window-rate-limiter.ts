import { positive, RateLimiter } from "./rate-limiter.js";
import type { RateLimiterBackend } from "./rate-limiter-backend.js";

/** Options of `new WindowRateLimiter()`. */
export interface WindowRateLimiterOptions {
  /** Operations per window. Default 1. */
  limit?: number;
  /** Window length in whole seconds (finer windows cost too much to keep). Default 1. */
  window?: number;
}

/**
 * At most `limit` operations in any `window` consecutive seconds: one counter per second,
 * summed over the window at each acquire.
 */
export class WindowRateLimiter extends RateLimiter {
  /** Operations allowed in any window. */
  readonly limit: number;
  /** Window length, ms. */
  readonly window: number;

  constructor(backend: RateLimiterBackend, key: string, options: WindowRateLimiterOptions = {}) {
    super(backend, key);
    this.limit = positive("limit", options.limit ?? 1);
    this.window = positive("window", options.window ?? 1);
  }

  protected tryAcquire(): Promise<boolean> {
    const second = Math.floor(Date.now() / 1000);
    const keys: string[] = [];
    for (let i = 0; i < this.window; i++) keys.push(`${this.key}@${second - i}`);
    return this.backend.incrAndSum(keys[0]!, keys, 1, this.limit, this.window * 1000);
  }
}
