/**
 * Storage for rate limiters and barriers, shared by every process that limits on the same
 * keys. Each operation is atomic; TTLs are in milliseconds and refreshed by every write.
 */
export abstract class RateLimiterBackend {
  /** Set `key` to `value` if it does not exist. True when it was set. */
  abstract add(key: string, value: number, ttl: number): Promise<boolean>;

  /** Add `amount` unless the result would exceed `maximum`. True when incremented. */
  abstract incr(key: string, amount: number, maximum: number, ttl: number): Promise<boolean>;

  /** Subtract `amount` unless the result would go below `minimum`. True when decremented. */
  abstract decr(key: string, amount: number, minimum: number, ttl: number): Promise<boolean>;

  /**
   * Add `amount` to `key` unless the sum of `keys` (after the increment) would exceed
   * `maximum`. True when incremented.
   */
  abstract incrAndSum(
    key: string,
    keys: readonly string[] | (() => readonly string[]),
    amount: number,
    maximum: number,
    ttl: number,
  ): Promise<boolean>;

  /** Wait until `key` is notified (or was, within its TTL); false after `timeout` ms. */
  abstract wait(key: string, timeout: number): Promise<boolean>;

  /** Wake every waiter on `key`, and let later waits see the event for `ttl` ms. */
  abstract waitNotify(key: string, ttl: number): Promise<void>;
}

export function resolveKeys(
  keys: readonly string[] | (() => readonly string[]),
): readonly string[] {
  return typeof keys === "function" ? keys() : keys;
}
