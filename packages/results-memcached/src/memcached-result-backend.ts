import type { Loaded, ResultBackendOptions } from "@taskq/core";
import { lazyLogger, Missing, ResultBackend } from "@taskq/core";
import type memjs from "memjs";
import type { MemcachedConnectionOptions } from "./client.js";
import { connectionError, createClient, expiration } from "./client.js";

export interface MemcachedResultBackendOptions
  extends ResultBackendOptions,
    MemcachedConnectionOptions {}

/**
 * Results in memcached under Dramatiq's keys (md5 of `namespace:queue:actor:messageId`),
 * values in Dramatiq's JSON. Memcached cannot block, so a blocking get polls with backoff
 * (100 ms, doubling, at most 1 s apart).
 */
export class MemcachedResultBackend extends ResultBackend {
  readonly client: memjs.Client;
  private readonly owned: boolean;

  constructor(options: MemcachedResultBackendOptions = {}) {
    super({ namespace: options.namespace, encoder: options.encoder });
    const { client, owned } = createClient(options, lazyLogger("taskq.MemcachedResultBackend"));
    this.client = client;
    this.owned = owned;
  }

  protected async load(key: string): Promise<Loaded> {
    let value: Buffer | null;
    try {
      ({ value } = await this.client.get(key));
    } catch (err) {
      throw connectionError(this.client, "read a result", err);
    }
    return value === null ? Missing : this.decode(value);
  }

  protected async store(key: string, value: unknown, ttl: number): Promise<void> {
    const data = Buffer.from(this.encode(value));
    try {
      await this.client.set(key, data, { expires: expiration(ttl) });
    } catch (err) {
      throw connectionError(this.client, "store a result", err);
    }
  }

  /** Close the connections this backend opened. */
  async close(): Promise<void> {
    if (this.owned) this.client.close();
  }
}
