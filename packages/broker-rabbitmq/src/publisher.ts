import { randomUUID } from "node:crypto";
import { ConnectionClosed, ConnectionError, type Logger } from "@taskq/core";
import type { Message as AmqpMessage, ConfirmChannel } from "amqplib";
import type { AmqpConnection } from "./connection.js";
import { LogThrottle } from "./log-throttle.js";
import type { Topology } from "./topology.js";

export interface Publication {
  queueName: string;
  body: Buffer;
  priority: number | undefined;
  /**
   * The caller stops waiting once the message is written (send without confirmDelivery):
   * after that, nobody but this publisher can send it again, so a lost connection does not
   * end it; it waits for the next connection, however long, until the broker closes.
   */
  patient?: boolean;
}

interface Pending {
  publication: Publication;
  attempts: number;
  resolve: () => void;
  reject: (err: Error) => void;
  /** Called once, when the first attempt has been written to the socket. */
  written?: () => void;
  wasWritten: boolean;
}

export interface Published {
  /** The message was written to the socket (not yet confirmed). */
  written: Promise<void>;
  /** RabbitMQ confirmed it (after retries, if any were needed). */
  confirmed: Promise<void>;
}

const MAX_ATTEMPTS = 6;

/**
 * Resolves when the channel can take more, or when it closes: a channel lost while full never
 * drains, and what waits for it must go on to fail and be sent again on the next one.
 */
function drainOrClose(ch: ConfirmChannel): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      ch.off("drain", done);
      ch.off("close", done);
      resolve();
    };
    ch.on("drain", done);
    ch.on("close", done);
  });
}

/** One warning about failed publishes per this many ms (with a count of the rest). */
const WARN_WINDOW = 5000;

/**
 * Publishes on a confirm channel: persistent, on the default exchange, `mandatory` so a
 * message for a queue deleted behind our back comes back (and is sent again once the queue
 * is declared again). A publication resolves when RabbitMQ confirms it; one that fails
 * (channel or connection lost, nack, return) is sent again, at most MAX_ATTEMPTS times.
 * Writes wait for `drain` when the socket is full.
 */
export class Publisher {
  private readonly connection: AmqpConnection;
  private readonly topology: Topology;
  private readonly log: Logger;
  private channel: Promise<ConfirmChannel> | undefined;
  /** The open channel, once there is one: lets a publish go out without waiting. */
  private live: ConfirmChannel | undefined;
  private readonly idPrefix = randomUUID();
  private seq = 0;
  private drained: Promise<void> | undefined;
  private readonly returned = new Set<string>();
  /** Written, answered, and cut off by a lost connection: sent again on the next one. */
  private parked: Pending[] = [];
  private closed = false;
  private readonly warnings: LogThrottle;

  constructor(connection: AmqpConnection, topology: Topology, log: Logger) {
    this.connection = connection;
    this.topology = topology;
    this.log = log;
    this.warnings = new LogThrottle(1, WARN_WINDOW, (line) => log.warn(line));
    connection.on("disconnect", () => {
      this.channel = undefined;
      this.live = undefined;
      this.drained = undefined;
    });
    connection.on("connect", () => {
      const parked = this.parked;
      this.parked = [];
      // After the other "connect" listeners (the topology forgets what it declared).
      if (parked.length === 0) return;
      setImmediate(() => {
        for (const p of parked) this.attempt(p);
      });
    });
  }

  private open(): Promise<ConfirmChannel> {
    this.channel ??= (async () => {
      const model = await this.connection.get();
      const ch = await model.createConfirmChannel();
      ch.on("error", () => {});
      ch.on("close", () => {
        this.channel = undefined;
        if (this.live === ch) this.live = undefined;
        this.drained = undefined;
      });
      ch.on("return", (msg: AmqpMessage) => {
        const id = msg.properties.messageId as string | undefined;
        if (id !== undefined) this.returned.add(id);
      });
      ch.on("drain", () => {
        this.drained = undefined;
      });
      this.live = ch;
      return ch;
    })().catch((err: unknown) => {
      this.channel = undefined;
      throw err;
    });
    return this.channel;
  }

  publish(publication: Publication): Published {
    let written!: () => void;
    let unwritten!: (err: unknown) => void;
    const writtenPromise = new Promise<void>((resolve, reject) => {
      written = resolve;
      unwritten = reject;
    });
    const confirmed = new Promise<void>((resolve, reject) => {
      this.attempt({ publication, attempts: 0, resolve, reject, written, wasWritten: false });
    });
    // A publication that fails for good before it was ever written fails the wait for the
    // write too (after a write, rejecting changes nothing).
    confirmed.catch(unwritten);
    writtenPromise.catch(() => {});
    return { written: writtenPromise, confirmed };
  }

  /** Sent already and waiting for a connection: no use trying before the next one. */
  private parkable(pending: Pending): boolean {
    return pending.publication.patient === true && pending.wasWritten && !this.connection.connected;
  }

  private attempt(pending: Pending): void {
    if (this.parkable(pending) && !this.closed) {
      this.parked.push(pending);
      return;
    }
    pending.attempts++;
    // The usual case needs no wait at all: channel open, queue declared, socket not full.
    const ch = this.live;
    if (
      ch !== undefined &&
      this.drained === undefined &&
      this.topology.isDeclared(pending.publication.queueName)
    ) {
      this.write(ch, pending);
      return;
    }
    this.prepare(pending).then(
      (ready) => this.write(ready, pending),
      (err: unknown) => this.retry(pending, err),
    );
  }

  private async prepare(pending: Pending): Promise<ConfirmChannel> {
    const ch = await this.open();
    await this.topology.ensure(pending.publication.queueName, () => this.open());
    if (this.drained !== undefined) await this.drained;
    return ch;
  }

  private retry(pending: Pending, err: unknown): void {
    if (this.closed) {
      pending.reject(
        new ConnectionClosed(
          `The RabbitMQ broker closed before RabbitMQ confirmed a message for ${pending.publication.queueName}`,
          { cause: err },
        ),
      );
      return;
    }
    if (err instanceof ConnectionError) {
      if (pending.publication.patient && pending.wasWritten) {
        // The caller has its answer: keep the message for the next connection.
        pending.attempts--;
        setImmediate(() => this.attempt(pending));
        return;
      }
      // No connection within connectionTimeout: waiting longer is the caller's decision.
      pending.reject(err);
      return;
    }
    if (pending.attempts >= MAX_ATTEMPTS) {
      const reason = err instanceof Error ? err.message : String(err);
      pending.reject(
        new ConnectionClosed(
          `Could not publish to ${pending.publication.queueName} after ${pending.attempts} attempts: ${reason}`,
          { cause: err },
        ),
      );
      return;
    }
    if (pending.attempts === 1) {
      this.warnings.log(
        () =>
          `Publishing to ${pending.publication.queueName} failed (${err instanceof Error ? err.message : String(err)}); retrying.`,
      );
    }
    setTimeout(() => this.attempt(pending), Math.min(50 * 2 ** pending.attempts, 2000));
  }

  private write(ch: ConfirmChannel, pending: Pending): void {
    const { queueName, body, priority } = pending.publication;
    const id = `${this.idPrefix}.${this.seq++}`;
    let written: boolean;
    try {
      written = ch.publish(
        "",
        queueName,
        body,
        { persistent: true, mandatory: true, priority, messageId: id },
        (err: unknown) => {
          if (err) {
            this.replace(ch);
            this.retry(
              pending,
              err instanceof Error ? err : new Error("message nacked by RabbitMQ"),
            );
          } else if (this.returned.delete(id)) {
            // Confirmed but unroutable: the queue is gone. Declare it again, then resend.
            this.topology.forget(queueName);
            this.retry(pending, new Error(`queue ${queueName} did not exist`));
          } else {
            pending.resolve();
          }
        },
      );
    } catch (err) {
      // The channel closed under us: amqplib throws rather than calling back.
      this.retry(pending, err);
      return;
    }
    pending.wasWritten = true;
    pending.written?.();
    pending.written = undefined;
    if (!written && this.drained === undefined) {
      this.drained = drainOrClose(ch);
    }
  }

  /**
   * Stops publishing on a channel that had a message nacked, and closes it. A channel keeps
   * per-queue state on the server: after a quorum queue's leader died, RabbitMQ 3.10 went on
   * nacking every publish on the channel that was open through the election, while a new
   * channel published at once. What it still had unconfirmed fails with the close and is sent
   * again on the next channel.
   */
  private replace(ch: ConfirmChannel): void {
    if (this.live !== ch) return;
    this.live = undefined;
    this.channel = undefined;
    this.drained = undefined;
    ch.close().catch(() => {});
  }

  async close(): Promise<void> {
    this.closed = true;
    const parked = this.parked;
    this.parked = [];
    for (const p of parked) this.retry(p, new ConnectionClosed("The RabbitMQ broker is closed"));
    const channel = this.channel;
    this.channel = undefined;
    if (channel === undefined) return;
    try {
      const ch = await channel;
      await ch.waitForConfirms().catch(() => {});
      await ch.close();
    } catch {
      // Already gone with the connection.
    }
  }
}
