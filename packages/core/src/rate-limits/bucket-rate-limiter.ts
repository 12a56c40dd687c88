import { positive, RateLimiter } from "./rate-limiter.js";
import type { RateLimiterBackend } from "./rate-limiter-backend.js";

/** Options of `new BucketRateLimiter()`. */
export interface BucketRateLimiterOptions {
  /** Operations per bucket. Default 1. */
  limit?: number;
  /** Bucket length, ms. Default 1000. */
  bucket?: number;
}

/**
 * At most `limit` operations per fixed bucket of time. Cheap, but a burst at the end of one
 * bucket and another at the start of the next can reach twice the limit in a short span;
 * WindowRateLimiter does not have that weakness.
 */
export class BucketRateLimiter extends RateLimiter {
  /** Operations allowed per bucket. */
  readonly limit: number;
  /** Bucket length, ms. */
  readonly bucket: number;

  constructor(backend: RateLimiterBackend, key: string, options: BucketRateLimiterOptions = {}) {
    super(backend, key);
    this.limit = positive("limit", options.limit ?? 1);
    this.bucket = positive("bucket", options.bucket ?? 1000);
  }

  protected tryAcquire(): Promise<boolean> {
    const now = Date.now();
    const key = `${this.key}@${now - (now % this.bucket)}`;
    return this.backend.incr(key, 1, this.limit, this.bucket);
  }
}
