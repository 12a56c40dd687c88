import type {
  CancelBackendOptions,
  CancelListener,
  CancelSubscription,
  OptionCheck,
} from "@taskq/core";
import { CancelBackend, lazyLogger, validateOptions } from "@taskq/core";
import {
  type AnyRedis,
  connectionOptionChecks,
  createClient,
  DEFAULT_CONNECTION_TIMEOUT,
  duplicateClient,
  ioredisOptions,
  RedisConnection,
} from "@taskq/redis-common";
import type { Cluster, Redis, RedisOptions } from "ioredis";
import type { RedisConnectionOptions } from "./options.js";
import type { CancelClient } from "./scripts.js";
import { withCancelScripts } from "./scripts.js";

const log = lazyLogger("taskq.RedisCancelBackend");

/** Options of `new RedisCancelBackend(options)` besides ioredis options. */
export interface RedisCancelBackendOwnOptions extends RedisConnectionOptions, CancelBackendOptions {
  /** Prefix of its keys (`<namespace>:__cancel__`). Default `taskq`, the broker's. */
  namespace?: string;
}

/** Options of `new RedisCancelBackend(options)`: its own, plus ioredis connection options. */
export type RedisCancelBackendOptions = RedisCancelBackendOwnOptions &
  Omit<RedisOptions, keyof RedisCancelBackendOwnOptions>;

// ttl is checked by CancelBackend.
const CHECKS = { ...connectionOptionChecks } satisfies Record<string, OptionCheck>;
const OWN = [...Object.keys(CHECKS), "ttl"];

/** Most ids in one check (a Lua call takes at most a few thousand arguments). */
const CHECK_CHUNK = 1000;

/**
 * Cancel marks in Redis, as Remoulade keeps them: one sorted set of canceled ids by time,
 * trimmed of marks older than the TTL at each cancel (and ignored past it when read). Each
 * cancel is also published on a channel; a subscription (one connection per backend, however
 * many listen) hears it in every worker process, so a running message is interrupted at once.
 */
export class RedisCancelBackend extends CancelBackend {
  /** The ioredis client in use (yours when you passed `client`; then `close()` leaves it open). */
  readonly client: Redis | Cluster;
  /** The key prefix (default `taskq`). */
  readonly namespace: string;
  /** How long an operation waits for a (re)connection before it fails, ms. */
  readonly connectionTimeout: number;
  /** The sorted set of marks. */
  readonly marksKey: string;
  /** The pub/sub channel of notices. */
  readonly channel: string;
  private readonly connection: RedisConnection<AnyRedis>;
  private readonly scripts: CancelClient;
  private subscriber: AnyRedis | undefined;
  private subscribed: Promise<unknown> | undefined;
  private readonly listeners = new Set<CancelListener>();

  constructor(given: RedisCancelBackendOptions = {}) {
    super({ ttl: given.ttl });
    validateOptions("RedisCancelBackend", given, CHECKS);
    // Own properties only, as validated: nothing is taken from a prototype.
    const options: RedisCancelBackendOptions = { ...given };
    const rest = ioredisOptions("RedisCancelBackend", options, OWN);
    this.connectionTimeout = options.connectionTimeout ?? DEFAULT_CONNECTION_TIMEOUT;
    this.client = options.client ?? createClient("RedisCancelBackend", options.url, rest);
    this.connection = new RedisConnection<AnyRedis>({
      client: this.client,
      owned: options.client === undefined,
      connectionTimeout: this.connectionTimeout,
      what: "cancel backend",
      log,
    });
    this.scripts = withCancelScripts(this.client);
    this.namespace = options.namespace ?? "taskq";
    // On a Redis Cluster the namespace is the hash tag, as for the state and schedule keys.
    this.marksKey = this.client.isCluster
      ? `{${this.namespace}}:__cancel__`
      : `${this.namespace}:__cancel__`;
    this.channel = `${this.namespace}:__cancel__`;
  }

  async cancel(ids: readonly string[]): Promise<void> {
    const list = CancelBackend.checkIds(ids);
    if (list.length === 0) return;
    await this.connection.run(`cancel ${list.length} message(s)`, () =>
      this.scripts.taskqCancel(this.marksKey, this.channel, this.ttl, JSON.stringify(list)),
    );
  }

  async areCanceled(ids: readonly string[]): Promise<boolean[]> {
    const list = CancelBackend.checkIds(ids);
    const out: boolean[] = [];
    for (let i = 0; i < list.length; i += CHECK_CHUNK) {
      const chunk = list.slice(i, i + CHECK_CHUNK);
      const flags = await this.connection.run(
        `check ${chunk.length} id(s) against cancel marks`,
        () => this.scripts.taskqCanceled(this.marksKey, this.ttl, ...chunk),
        { idempotent: true },
      );
      for (const flag of flags) out.push(flag === 1);
    }
    return out;
  }

  async subscribe(listener: CancelListener): Promise<CancelSubscription> {
    this.listeners.add(listener);
    try {
      await this.listen();
    } catch (err) {
      this.listeners.delete(listener);
      throw err;
    }
    return {
      close: async () => {
        this.listeners.delete(listener);
        if (this.listeners.size === 0) this.stopListening();
      },
    };
  }

  /** One subscriber connection for every listener of this backend. */
  private listen(): Promise<unknown> {
    if (this.subscribed !== undefined) return this.subscribed;
    const subscriber = duplicateClient(this.connection.client);
    // Failures reach the caller as rejected calls; ioredis need not print them too.
    subscriber.on("error", () => {});
    this.subscriber = subscriber;
    let lost = false;
    subscriber.on("message", (_channel: string, data: string) => {
      let ids: unknown;
      try {
        ids = JSON.parse(data);
      } catch {
        ids = undefined;
      }
      if (!Array.isArray(ids) || !ids.every((id) => typeof id === "string")) {
        log.warn(`Ignored a malformed cancel notice on ${this.channel}.`);
        return;
      }
      for (const l of [...this.listeners]) l.onCancel(ids as string[]);
    });
    subscriber.on("close", () => {
      lost = true;
    });
    // ioredis subscribes again after a reconnect; notices sent meanwhile are gone.
    subscriber.on("ready", () => {
      if (!lost) return;
      lost = false;
      for (const l of [...this.listeners]) l.onGap?.();
    });
    this.subscribed = subscriber.subscribe(this.channel).catch((err: unknown) => {
      this.stopListening();
      throw this.connection.error(err, "subscribe to cancel notices");
    });
    return this.subscribed;
  }

  private stopListening(): void {
    this.subscriber?.disconnect();
    this.subscriber = undefined;
    this.subscribed = undefined;
  }

  /** Close the connections this backend opened. */
  override async close(): Promise<void> {
    this.listeners.clear();
    this.stopListening();
    this.connection.close();
  }
}
