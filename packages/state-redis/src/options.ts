import type { Cluster, Redis } from "ioredis";

/** How to reach Redis: a URL, or a client of your own. */
export interface RedisConnectionOptions {
  /** `redis://[:password@]host:port/db`; other ioredis options refine it. */
  url?: string;
  /**
   * An ioredis client to use (left open by `close()`), e.g. the broker's. With an ioredis
   * `Cluster`, every key carries the namespace's hash tag (`{ns}:__state__:...`): one slot.
   */
  client?: Redis | Cluster;
  /**
   * How long an operation waits for a (re)connection before it fails with a
   * ConnectionError naming the address, ms. Default 10 000 (as the brokers').
   */
  connectionTimeout?: number;
}
