import { positive, RateLimiter } from "./rate-limiter.js";
import type { RateLimiterBackend } from "./rate-limiter-backend.js";

/** Options of `new ConcurrentRateLimiter()`. */
export interface ConcurrentRateLimiterOptions {
  /** Holders at once. Default 1: a distributed mutex. */
  limit?: number;
  /** How long a slot counts if its holder dies without releasing it, ms. Default 15 minutes. */
  ttl?: number;
}

/** At most `limit` holders of `key` at once, across every process sharing the backend. */
export class ConcurrentRateLimiter extends RateLimiter {
  /** Operations allowed at once. */
  readonly limit: number;
  /** How long a slot counts if its holder dies without releasing it, ms. */
  readonly ttl: number;

  constructor(
    backend: RateLimiterBackend,
    key: string,
    options: ConcurrentRateLimiterOptions = {},
  ) {
    super(backend, key);
    this.limit = positive("limit", options.limit ?? 1);
    this.ttl = positive("ttl", options.ttl ?? 900_000);
  }

  protected tryAcquire(): Promise<boolean> {
    return this.backend.incr(this.key, 1, this.limit, this.ttl);
  }

  protected override async release(): Promise<void> {
    await this.backend.decr(this.key, 1, 0, this.ttl);
  }
}
