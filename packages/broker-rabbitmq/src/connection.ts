import { EventEmitter } from "node:events";
import { ConnectionClosed, ConnectionFailed, type Logger } from "@taskq/core";
import type { ChannelModel, SocketOptions } from "amqplib";
import { connect } from "amqplib";

export interface ConnectionOptions {
  /** One URL, or several for failover (tried in turn). */
  urls: string[];
  /** How long an operation waits for a connection before failing, ms. */
  connectionTimeout: number;
  /** Passed to amqplib's connect (TLS, heartbeat, ...). */
  socketOptions?: Record<string, unknown>;
  log: Logger;
}

const MIN_DELAY = 100;
/**
 * Attempts go at least this often while the server is away: a server back within
 * connectionTimeout must be found before the operations waiting for it give up.
 */
const MAX_DELAY = 1000;

/** The URL without its password, for messages. */
export function redact(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = "***";
    return u.toString();
  } catch {
    return url;
  }
}

/**
 * One AMQP connection, kept up: when it drops it reconnects with backoff, rotating through
 * the URLs (amqplib's own recovery takes a single URL). Each connection has a generation
 * number; channels belong to one and are recreated by their owners on `connect`.
 *
 * Events: `connect` (model, generation), `disconnect` (error).
 */
export class AmqpConnection extends EventEmitter {
  private readonly options: ConnectionOptions;
  private model: ChannelModel | undefined;
  private waiters: { resolve: (m: ChannelModel) => void; reject: (e: Error) => void }[] = [];
  private urlIndex = 0;
  private attempt = 0;
  private timer: NodeJS.Timeout | undefined;
  private connecting = false;
  private everConnected = false;
  private lastError: unknown;
  private closed = false;
  generation = 0;

  constructor(options: ConnectionOptions) {
    super();
    this.options = options;
  }

  /**
   * The live connection, waiting up to `timeout` ms (default `connectionTimeout`) for one;
   * then a ConnectionFailed, or a ConnectionClosed when an earlier connection was lost.
   */
  get(timeout = this.options.connectionTimeout): Promise<ChannelModel> {
    if (this.model !== undefined) return Promise.resolve(this.model);
    if (this.closed) return Promise.reject(new ConnectionClosed("The RabbitMQ broker is closed"));
    this.start();
    return new Promise((resolve, reject) => {
      const waiter = {
        resolve: (m: ChannelModel) => {
          clearTimeout(timer);
          resolve(m);
        },
        reject: (e: Error) => {
          clearTimeout(timer);
          reject(e);
        },
      };
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        reject(this.failure(timeout));
      }, timeout);
      this.waiters.push(waiter);
    });
  }

  get connected(): boolean {
    return this.model !== undefined;
  }

  /** Where we try to connect, passwords hidden. */
  get address(): string {
    return this.options.urls.map(redact).join(", ");
  }

  /** Why the last attempt failed (or the connection closed), for error messages. */
  get lastReason(): string {
    return this.lastError instanceof Error ? `: ${this.lastError.message}` : "";
  }

  private failure(timeout: number): Error {
    const Kind = this.everConnected ? ConnectionClosed : ConnectionFailed;
    return new Kind(
      `Could not connect to RabbitMQ at ${this.address} within ${timeout} ms${this.lastReason}`,
      { cause: this.lastError },
    );
  }

  /** Connect now if not connected or connecting. */
  start(): void {
    if (this.model !== undefined || this.connecting || this.timer !== undefined || this.closed)
      return;
    void this.open();
  }

  private async open(): Promise<void> {
    this.connecting = true;
    const url = this.options.urls[this.urlIndex % this.options.urls.length]!;
    let model: ChannelModel;
    try {
      model = await connect(url, {
        // A server that never answers the TCP handshake is given up on (and the next URL
        // tried) after connectionTimeout, rather than the system's minutes.
        timeout: this.options.connectionTimeout,
        // Without it, a lone small frame (a publish, an ack) waits on Nagle's algorithm for
        // the previous one's delayed TCP ack: 40 ms stalls on an otherwise idle connection.
        noDelay: true,
        ...this.options.socketOptions,
      } as SocketOptions);
    } catch (err) {
      this.connecting = false;
      this.lastError = err;
      this.urlIndex++;
      this.schedule(err);
      return;
    }
    this.connecting = false;
    if (this.closed) {
      await model.close().catch(() => {});
      return;
    }
    this.model = model;
    this.generation++;
    if (this.attempt > 0 || this.everConnected) {
      this.options.log.info(`Connected to RabbitMQ at ${redact(url)} again.`);
    }
    this.attempt = 0;
    this.everConnected = true;
    model.on("error", (err: Error) => {
      this.lastError = err;
    });
    model.on("close", (err?: Error) => this.lost(model, err));
    const waiters = this.waiters.splice(0);
    for (const w of waiters) w.resolve(model);
    this.emit("connect", model, this.generation);
  }

  private lost(model: ChannelModel, err: unknown): void {
    if (this.model !== model) return;
    this.model = undefined;
    if (this.closed) return;
    this.lastError = err ?? new Error("connection closed");
    this.options.log.error({ err }, "Lost the connection to RabbitMQ; reconnecting with backoff.");
    this.emit("disconnect", this.lastError);
    this.urlIndex++;
    this.schedule(err);
  }

  private schedule(err: unknown): void {
    if (this.closed) return;
    const delay = Math.min(MIN_DELAY * 2 ** this.attempt, MAX_DELAY);
    this.attempt++;
    // Whoever waits for the connection hears of the failure (a send rejects, a consumer
    // warns): a stack here would only repeat it. A warning every tenth attempt says it lasts.
    const reason = err instanceof Error ? err.message : String(err);
    const line = `Could not connect to RabbitMQ (attempt ${this.attempt}: ${reason}); trying again in ${delay} ms.`;
    if (this.attempt % 10 === 0) this.options.log.warn(line);
    else this.options.log.debug(line);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.open();
    }, delay);
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    const waiters = this.waiters.splice(0);
    for (const w of waiters) w.reject(new ConnectionClosed("The RabbitMQ broker is closed"));
    const model = this.model;
    this.model = undefined;
    if (model !== undefined) await model.close().catch(() => {});
  }
}
