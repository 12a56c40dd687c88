import type { Loaded, ResultBackendOptions } from "@taskq/core";
import { lazyLogger, Missing, optionChecks, ResultBackend, validateOptions } from "@taskq/core";
import {
  connectionError,
  createClient,
  expiration,
  memcachedOptionChecks,
} from "@taskq/memcached-common";
import type memjs from "memjs";

/** How to reach memcached: a server list, or a client of your own. */
export interface MemcachedConnectionOptions {
  /** `host:port`, several comma-separated, or a list. Default `127.0.0.1:11211`. */
  servers?: string | string[];
  /** A memjs client to use (left open by `close()`). */
  client?: memjs.Client;
}

/** Options of `new MemcachedResultBackend()`. */
export interface MemcachedResultBackendOptions
  extends ResultBackendOptions,
    MemcachedConnectionOptions {}

const CHECKS = { ...memcachedOptionChecks, encoder: optionChecks.object };

/**
 * Results in memcached under Dramatiq's keys (md5 of `namespace:queue:actor:messageId`),
 * values in Dramatiq's JSON. Memcached cannot block, so a blocking get polls with backoff
 * (100 ms, doubling, at most 1 s apart).
 */
export class MemcachedResultBackend extends ResultBackend {
  /** The memjs client in use (yours when you passed `client`). */
  readonly client: memjs.Client;
  private readonly owned: boolean;

  constructor(given: MemcachedResultBackendOptions = {}) {
    validateOptions("MemcachedResultBackend", given, CHECKS);
    // Own properties only, as validated: nothing is taken from a prototype.
    const options: MemcachedResultBackendOptions = { ...given };
    super({ namespace: options.namespace, encoder: options.encoder });
    const { client, owned } = createClient(
      "MemcachedResultBackend",
      options,
      lazyLogger("taskq.MemcachedResultBackend"),
    );
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
