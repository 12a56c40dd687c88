import type { Logger } from "@taskq/core";
import { BrokerError, ConnectionClosed, connectionError } from "@taskq/core";
import type { Cluster, Redis } from "ioredis";

/** A client taskq runs commands on: one Redis server, or a Redis Cluster. */
export type AnyRedis = Redis | Cluster;

/** How long an operation waits for a (re)connection by default, ms (RabbitMQ's too). */
export const DEFAULT_CONNECTION_TIMEOUT = 10_000;

export interface RedisConnectionSettings<C extends AnyRedis = Redis> {
  /** The client; the connection closes it on `close()` only when `owned`. */
  client: C;
  owned: boolean;
  /** How long an operation waits for the client to be ready, ms. */
  connectionTimeout: number;
  /** Whose connection this is, for log lines: "broker", "result backend"... */
  what: string;
  log: Logger;
  /** Called when the connection is back after an outage. */
  onRestored?: () => void;
  /** A connection this one duplicates: once that one was ready, failures read as ConnectionClosed. */
  parent?: RedisConnection<AnyRedis>;
}

/** What an operation does, for its error message ("enqueue message 1 on default"); a function when costly to build. */
export type Doing = string | (() => string);

export interface RunOptions<C extends AnyRedis = Redis, T = unknown> {
  /**
   * The command may safely run twice (a read, a blocking wait on a list, a settle that
   * checks what it still holds): when the connection drops under it, it runs again once the
   * connection is back.
   */
  idempotent?: boolean;
  /**
   * What to run instead when the connection dropped under the command (which may have run):
   * a variant that does nothing the first run already did, e.g. an enqueue that skips ids
   * already stored.
   */
  retry?: (client: C) => Promise<T>;
  /** Stop waiting for the connection: the call rejects with the signal's reason. */
  signal?: AbortSignal;
  /** Wait for the connection up to this many ms instead of `connectionTimeout`. */
  timeout?: number;
}

interface Waiter {
  resolve: () => void;
  /** Reject with a ConnectionError saying what went wrong (naming the waiter's operation). */
  fail: (what: string) => void;
}

/** ioredis's words for a command refused before it was written (a client with its offline queue off). */
const NOT_SENT = "Stream isn't writeable";

/** Where a client points, for messages. */
export function describeClient(client: AnyRedis): string {
  if (client.isCluster) {
    // The startup nodes: where the cluster was looked for (the slot owners change with failovers).
    const nodes = (client as unknown as { startupNodes?: unknown[] }).startupNodes ?? [];
    const shown = nodes
      .map((n) =>
        typeof n === "string"
          ? n
          : typeof n === "number"
            ? `127.0.0.1:${n}`
            : `${(n as { host?: string }).host ?? "127.0.0.1"}:${(n as { port?: number }).port ?? 6379}`,
      )
      .join(",");
    return `cluster ${shown || "(no nodes)"}`;
  }
  const o = (client as Redis).options;
  return o.path ? `unix:${o.path}` : `${o.host ?? "127.0.0.1"}:${o.port ?? 6379}`;
}

/**
 * One ioredis client and the rules taskq runs every command by. A command is issued only
 * once the client is ready: `run` waits for that up to `connectionTimeout` and then rejects
 * with a ConnectionError naming the address, the command never having been handed to
 * ioredis, so it cannot be sent later from ioredis's offline queue. Clients taskq creates
 * also never resend a command that was in flight when the connection dropped (its outcome is
 * unknown: the call rejects with ConnectionClosed, and only commands marked idempotent run
 * again). Outages are logged once, and the recovery once.
 */
export class RedisConnection<C extends AnyRedis = Redis> {
  readonly client: C;
  readonly where: string;
  readonly connectionTimeout: number;
  private readonly owned: boolean;
  private readonly what: string;
  private readonly log: Logger;
  private readonly onRestored: (() => void) | undefined;
  private readonly parent: RedisConnection<AnyRedis> | undefined;
  private readonly waiters = new Set<Waiter>();
  private wasReady = false;
  private down = false;
  private lastError: unknown;
  private closed = false;
  private readonly listeners: [event: string, listener: (arg?: unknown) => void][];

  constructor(settings: RedisConnectionSettings<C>) {
    this.client = settings.client;
    this.owned = settings.owned;
    this.connectionTimeout = settings.connectionTimeout;
    this.what = settings.what;
    this.log = settings.log;
    this.onRestored = settings.onRestored;
    this.parent = settings.parent;
    this.where = describeClient(this.client);
    this.wasReady = this.client.status === "ready";
    this.listeners = [
      ["ready", () => this.onReady()],
      ["error", (err) => this.onTrouble(err)],
      ["close", () => this.onClose()],
      ["end", () => this.onEnd()],
    ];
    for (const [event, listener] of this.listeners) this.client.on(event, listener);
  }

  /** Whether this connection (or the one it duplicates) was ever ready. */
  get everReady(): boolean {
    return this.wasReady || (this.parent?.everReady ?? false);
  }

  get ready(): boolean {
    return this.client.status === "ready";
  }

  private onReady(): void {
    this.wasReady = true;
    if (this.down) {
      this.down = false;
      this.log.info(`The ${this.what} connection to Redis at ${this.where} is back.`);
      this.onRestored?.();
    }
    for (const w of [...this.waiters]) w.resolve();
  }

  private onTrouble(err: unknown): void {
    this.lastError = err;
    if (this.down || this.closed) return;
    this.down = true;
    this.log.error(
      { err },
      this.everReady
        ? `Lost the ${this.what} connection to Redis at ${this.where}; retrying with backoff.`
        : `Could not open the ${this.what} connection to Redis at ${this.where}; retrying with backoff.`,
    );
  }

  private onClose(): void {
    if (this.client.status === "end" || this.closed) return;
    this.onTrouble(this.lastError ?? new Error("connection closed"));
  }

  /** The client gave up (its retryStrategy said so, or it was disconnected): no wait can end well. */
  private onEnd(): void {
    for (const w of [...this.waiters]) w.fail("the client gave up reconnecting");
  }

  /** Wrap an error from a command: ConnectionFailed/Closed for connection trouble, else BrokerError. */
  error(err: unknown, doing: Doing): Error {
    if (typeof doing === "function") doing = doing();
    if (isReplyError(err)) {
      return new BrokerError(`Could not ${doing} on Redis at ${this.where}: ${err.message}`, {
        cause: err,
      });
    }
    const cause = isInFlightLoss(err)
      ? new Error("the connection dropped before Redis replied (the command may have run)", {
          cause: err,
        })
      : err;
    return connectionError("Redis", this.where, doing, cause, this.everReady);
  }

  private failure(doing: Doing, what: string): Error {
    if (typeof doing === "function") doing = doing();
    if (this.closed) {
      return new ConnectionClosed(`Could not ${doing} on Redis at ${this.where}: ${what}`);
    }
    const last = this.lastError instanceof Error ? ` (last error: ${this.lastError.message})` : "";
    return connectionError("Redis", this.where, doing, new Error(`${what}${last}`), this.everReady);
  }

  /**
   * Resolve once the client is ready; reject with a ConnectionError after `timeout` ms, at
   * once if the client has ended, or with the signal's reason on abort. `waited` is the
   * whole wait the error names, when part of it is already over.
   */
  waitReady(
    doing: Doing,
    timeout = this.connectionTimeout,
    signal?: AbortSignal,
    waited = timeout,
  ): Promise<void> {
    if (this.closed) return Promise.reject(this.failure(doing, "the connection is closed"));
    const { status } = this.client;
    if (status === "ready") return Promise.resolve();
    if (status === "end")
      return Promise.reject(this.failure(doing, "the client gave up reconnecting"));
    if (status === "wait") this.client.connect().catch(() => {});
    if (signal?.aborted) return Promise.reject(signal.reason);
    return new Promise<void>((resolve, reject) => {
      const settle = () => {
        clearTimeout(timer);
        signal?.removeEventListener("abort", onAbort);
        this.waiters.delete(waiter);
      };
      const waiter: Waiter = {
        resolve: () => {
          settle();
          resolve();
        },
        fail: (what) => {
          settle();
          reject(this.failure(doing, what));
        },
      };
      const onAbort = () => {
        settle();
        reject(signal!.reason);
      };
      const timer = setTimeout(() => waiter.fail(`no connection within ${waited} ms`), timeout);
      signal?.addEventListener("abort", onAbort, { once: true });
      this.waiters.add(waiter);
    });
  }

  /**
   * Run a command once the client is ready (waiting up to `connectionTimeout`), wrapping any
   * failure in an error that names the address and what was being done.
   */
  async run<T>(
    doing: Doing,
    command: (client: C) => Promise<T>,
    options: RunOptions<C, T> = {},
  ): Promise<T> {
    const wait = options.timeout ?? this.connectionTimeout;
    let deadline = Date.now() + wait;
    for (;;) {
      if (this.client.status !== "ready") {
        await this.waitReady(doing, Math.max(0, deadline - Date.now()), options.signal, wait);
      }
      try {
        return await command(this.client);
      } catch (err) {
        if (isClusterRefusal(err) && !this.closed && Date.now() < deadline) {
          // Refused, not run: a Redis Cluster between a master's loss and its replica's
          // promotion, or a pipeline sent by a stale slot map (ioredis follows a MOVED only
          // when every command of a pipeline got it). Wait it out as an outage, up to the
          // same deadline, with a fresh slot map.
          if (this.client.isCluster) (this.client as Cluster).refreshSlotsCache();
          await new Promise((r) => setTimeout(r, CLUSTER_DOWN_RETRY));
          continue;
        }
        if (this.closed || isReplyError(err)) throw this.error(err, doing);
        if (isNotSent(err) && Date.now() < deadline) continue;
        const again = options.retry ?? (options.idempotent ? command : undefined);
        if (again !== undefined && isConnectionLoss(err) && this.client.status !== "end") {
          // It may have run; what runs now is safe either way. A new outage: a new wait.
          command = again;
          deadline = Date.now() + wait;
          continue;
        }
        throw this.error(err, doing);
      }
    }
  }

  /** PING, rejecting within `timeout` ms (default `connectionTimeout`) whatever the server does. */
  ping(timeout = this.connectionTimeout): Promise<void> {
    const deadline = Date.now() + timeout;
    let timer: NodeJS.Timeout | undefined;
    const expired = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(this.failure("ping", `no reply within ${timeout} ms`)),
        timeout,
      );
    });
    const pinged = this.run(
      "ping",
      async (client) => {
        await client.ping();
      },
      { idempotent: true, timeout: Math.max(0, deadline - Date.now()) },
    );
    return Promise.race([pinged, expired]).finally(() => clearTimeout(timer));
  }

  /** Stop listening; disconnect the client if this connection created it. Pending waits reject. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const w of [...this.waiters]) w.fail("the connection is closed");
    if (this.owned) this.client.disconnect();
    for (const [event, listener] of this.listeners) this.client.off(event, listener);
    // An owned client may still report its last socket errors: keep them from going unhandled.
    if (this.owned) this.client.on("error", () => {});
  }
}

/** How often a command a Redis Cluster refused (CLUSTERDOWN, MOVED...) is tried again, ms. */
const CLUSTER_DOWN_RETRY = 100;

/** A Redis Cluster refused the command without running it, for now (failover, resharding). */
function isClusterRefusal(err: unknown): boolean {
  return isReplyError(err) && /^(CLUSTERDOWN|TRYAGAIN|MOVED|ASK) /.test(err.message);
}

function isReplyError(err: unknown): err is Error {
  return err instanceof Error && err.name === "ReplyError";
}

function isNotSent(err: unknown): boolean {
  return err instanceof Error && err.message.startsWith(NOT_SENT);
}

/**
 * The command was written and the connection dropped before the reply: ioredis flushes it
 * (maxRetriesPerRequest 0), or aborts it as part of a pipeline whose first replies came.
 */
function isInFlightLoss(err: unknown): boolean {
  return (
    err instanceof Error &&
    (err.name === "MaxRetriesPerRequestError" ||
      err.message === "Command aborted due to connection close")
  );
}

function isConnectionLoss(err: unknown): boolean {
  return (
    isInFlightLoss(err) ||
    isNotSent(err) ||
    (err instanceof Error && err.message === "Connection is closed.")
  );
}

/** A new client to the same server or cluster, with the same options (for a subscriber). */
export function duplicateClient(client: AnyRedis): AnyRedis {
  return client.isCluster ? (client as Cluster).duplicate() : (client as Redis).duplicate();
}
