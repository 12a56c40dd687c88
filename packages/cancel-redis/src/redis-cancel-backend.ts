import type { CancelBackendOptions, CancelListener, CancelSubscription } from "@taskq/core";
import { CancelBackend, lazyLogger, optionChecks, validateOptions } from "@taskq/core";
import type { Redis, RedisOptions } from "ioredis";
import type { RedisConnectionOptions } from "./connection.js";
import { Connection } from "./connection.js";
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
  readonly client: Redis;
  /** The key prefix (default `taskq`). */
  readonly namespace: string;
  /** The sorted set of marks. */
  readonly marksKey: string;
  /** The pub/sub channel of notices. */
  readonly channel: string;
  private readonly connection: Connection;
  private readonly scripts: CancelClient;
  private subscriber: Redis | undefined;
  private subscribed: Promise<unknown> | undefined;
  private readonly listeners = new Set<CancelListener>();

  constructor(options: RedisCancelBackendOptions = {}) {
    super({ ttl: options.ttl });
    validateOptions("RedisCancelBackend", options, { namespace: optionChecks.nonEmptyString });
    this.connection = new Connection("RedisCancelBackend", options as Record<string, unknown>, [
      "namespace",
      "ttl",
    ]);
    this.client = this.connection.client;
    this.scripts = withCancelScripts(this.client);
    this.namespace = options.namespace ?? "taskq";
    this.marksKey = `${this.namespace}:__cancel__`;
    this.channel = `${this.namespace}:__cancel__`;
  }

  async cancel(ids: readonly string[]): Promise<void> {
    const list = CancelBackend.checkIds(ids);
    if (list.length === 0) return;
    try {
      await this.scripts.taskqCancel(this.marksKey, this.channel, this.ttl, JSON.stringify(list));
    } catch (err) {
      throw this.connection.failed(err, `cancel ${list.length} message(s)`);
    }
  }

  async areCanceled(ids: readonly string[]): Promise<boolean[]> {
    const list = CancelBackend.checkIds(ids);
    const out: boolean[] = [];
    for (let i = 0; i < list.length; i += CHECK_CHUNK) {
      const chunk = list.slice(i, i + CHECK_CHUNK);
      let flags: number[];
      try {
        flags = await this.scripts.taskqCanceled(this.marksKey, this.ttl, ...chunk);
      } catch (err) {
        throw this.connection.failed(err, `check ${chunk.length} id(s) against cancel marks`);
      }
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
    const subscriber = this.connection.duplicate();
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
      throw this.connection.failed(err, "subscribe to cancel notices");
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
