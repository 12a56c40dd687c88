import { positive } from "./rate-limiter.js";
import type { RateLimiterBackend } from "./rate-limiter-backend.js";

/** Options of `barrier.wait()`. */
export interface BarrierWaitOptions {
  /** Wait for the other parties (default) or only report whether this call released the barrier. */
  block?: boolean;
  /** How long to wait when blocking, ms. Default 10 s. */
  timeout?: number;
}

/**
 * A distributed barrier: `create(parties)` once, then each party calls `wait()`. Blocking
 * waiters all resolve true once the last party arrives; a wait that times out resolves false.
 * Use a fresh key (a UUID) per barrier.
 */
export class Barrier {
  /** Where the barrier is kept. */
  readonly backend: RateLimiterBackend;
  /** The barrier's key on the backend. */
  readonly key: string;
  /** How long the barrier lives, ms. */
  readonly ttl: number;
  private readonly eventsKey: string;

  constructor(backend: RateLimiterBackend, key: string, options: { ttl?: number } = {}) {
    this.backend = backend;
    this.key = key;
    this.eventsKey = `${key}@events`;
    this.ttl = positive("ttl", options.ttl ?? 900_000);
  }

  /** Create the barrier for `parties`; false when it already exists. */
  create(parties: number): Promise<boolean> {
    return this.backend.add(this.key, positive("parties", parties), this.ttl);
  }

  /**
   * Arrive at the barrier. The last party to arrive releases it and gets true at once;
   * the others get true when released (blocking) or false (non-blocking, or on timeout).
   */
  async wait(options: BarrierWaitOptions = {}): Promise<boolean> {
    const notLast = await this.backend.decr(this.key, 1, 1, this.ttl);
    if (notLast) {
      if (options.block === false) return false;
      return this.backend.wait(this.eventsKey, options.timeout ?? 10_000);
    }
    await this.backend.waitNotify(this.eventsKey, this.ttl);
    return true;
  }
}
