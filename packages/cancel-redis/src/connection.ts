import { connectionError, optionChecks, validateOptions } from "@taskq/core";
import type { RedisOptions } from "ioredis";
import { Redis } from "ioredis";

// The Redis connection setup of this package, in one module: a shared helper for every Redis
// package is on its way (a private workspace package); this file is what changes then.

/** How to reach Redis: a URL, or a client of your own. */
export interface RedisConnectionOptions {
  /** `redis://[:password@]host:port/db`; other ioredis options refine it. */
  url?: string;
  /** An ioredis client to use (left open by `close()`), e.g. the broker's. */
  client?: Redis;
}

const OWN = ["url", "client"];

/** A client of one's own, or the one given; and whether to close it. */
export class Connection {
  readonly client: Redis;
  readonly owned: boolean;
  private everReady = false;

  constructor(where: string, options: Record<string, unknown>, ownKeys: readonly string[]) {
    validateOptions(where, options, { url: optionChecks.string, client: optionChecks.object });
    const rest: Record<string, unknown> = {};
    for (const key of Object.keys(options)) {
      if (!OWN.includes(key) && !ownKeys.includes(key)) rest[key] = options[key];
    }
    const given = options.client as Redis | undefined;
    this.owned = given === undefined;
    const url = options.url as string | undefined;
    this.client =
      given ??
      (url === undefined ? new Redis(rest as RedisOptions) : new Redis(url, rest as RedisOptions));
    if (this.client.status === "ready") this.everReady = true;
    this.client.on("ready", () => {
      this.everReady = true;
    });
    // Failures reach the caller as rejected calls; ioredis need not print them too.
    if (this.owned) this.client.on("error", () => {});
  }

  /** Where the client points, for error messages. */
  get where(): string {
    const o = this.client.options;
    return o.path ? `unix:${o.path}` : `${o.host ?? "127.0.0.1"}:${o.port ?? 6379}`;
  }

  /** A taskq ConnectionError saying what failed, and where. */
  failed(err: unknown, doing: string): Error {
    return connectionError("Redis", this.where, doing, err, this.everReady);
  }

  /** A second connection to the same server (for subscriptions), errors silenced likewise. */
  duplicate(): Redis {
    const copy = this.client.duplicate();
    copy.on("error", () => {});
    return copy;
  }

  close(): void {
    if (this.owned) this.client.disconnect();
  }
}
