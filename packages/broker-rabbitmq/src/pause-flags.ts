import { type Logger, serialReader } from "@taskq/core";
import type { Channel, ConfirmChannel } from "amqplib";
import type { AmqpConnection } from "./connection.js";
import type { QueueType } from "./options.js";

/** The durable fanout exchange pause and resume notices go out on. */
export const CONTROL_EXCHANGE = "taskq.control";
/** A missed notice (a dropped channel, say) heals within this many ms. */
export const PAUSE_REREAD_INTERVAL = 3000;

/**
 * A queue is paused while its flag queue `taskq.paused.<queue>` (durable, at most one
 * message) holds a message: the flag survives restarts of workers and of RabbitMQ, and a
 * declare answers with its message count, so reading it never fails on a missing queue.
 */
export function flagQueue(queueName: string): string {
  return `taskq.paused.${queueName}`;
}

/**
 * With quorum queues the flag is a quorum queue too: a classic one lives on one node, and
 * while that node is down it can be neither read nor written.
 */
function flagOptions(queueType: QueueType) {
  const type = queueType === "quorum" ? { "x-queue-type": "quorum" } : {};
  return { durable: true, arguments: { ...type, "x-max-length": 1 } };
}

/** Is the queue paused, read on `ch`. */
export async function readFlag(
  ch: Channel,
  queueName: string,
  queueType: QueueType,
): Promise<boolean> {
  return (await ch.assertQueue(flagQueue(queueName), flagOptions(queueType))).messageCount > 0;
}

/**
 * Set or clear the flag, then tell every watching broker (same channel: in that order). The
 * flag message is confirmed before the notice goes out and before this resolves, so a read
 * made after (here or by a watcher) sees it: a quorum queue counts a message only once a
 * majority has it.
 */
export async function writeFlag(
  ch: ConfirmChannel,
  queueName: string,
  paused: boolean,
  queueType: QueueType,
): Promise<void> {
  const flag = flagQueue(queueName);
  await ch.assertQueue(flag, flagOptions(queueType));
  await ch.purgeQueue(flag);
  if (paused) {
    ch.sendToQueue(flag, Buffer.from("paused"), { persistent: true });
    await ch.waitForConfirms();
  }
  await ch.assertExchange(CONTROL_EXCHANGE, "fanout", { durable: true });
  ch.publish(CONTROL_EXCHANGE, "", Buffer.from(JSON.stringify({ queue: queueName, paused })));
}

/**
 * Follows the paused flags of the broker's queues: read again on every notice on the
 * control exchange (through an exclusive queue of this process), after each reconnect, and
 * on a slow timer.
 */
export class PauseWatch {
  private readonly connection: AmqpConnection;
  private readonly log: Logger;
  private readonly queues: () => Iterable<string>;
  private readonly report: (names: string[]) => void;
  private readonly queueType: QueueType;
  /** Read every flag and report the paused set; reads asked for meanwhile run once more after. */
  private readonly reader: () => void;
  private channel: Promise<Channel> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private running = false;
  private readonly onConnect = () => {
    this.channel = undefined;
    this.read();
  };

  constructor(
    connection: AmqpConnection,
    log: Logger,
    queues: () => Iterable<string>,
    report: (names: string[]) => void,
    queueType: QueueType,
  ) {
    this.connection = connection;
    this.queueType = queueType;
    this.log = log;
    this.queues = queues;
    this.report = report;
    this.reader = serialReader(
      async () => {
        const ch = await this.open();
        const paused: string[] = [];
        for (const q of [...this.queues()])
          if (await readFlag(ch, q, this.queueType)) paused.push(q);
        return paused;
      },
      (paused) => {
        if (this.running) this.report(paused);
      },
      this.log,
      "the paused queues",
    );
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.connection.on("connect", this.onConnect);
    this.timer = setInterval(() => this.read(), PAUSE_REREAD_INTERVAL);
    this.timer.unref();
    this.read();
  }

  /** The channel notices arrive on and flags are read on, subscribed once per connection. */
  private open(): Promise<Channel> {
    this.channel ??= (async () => {
      const model = await this.connection.get();
      const ch = await model.createChannel();
      ch.on("error", () => {});
      ch.on("close", () => {
        this.channel = undefined;
      });
      await ch.assertExchange(CONTROL_EXCHANGE, "fanout", { durable: true });
      const { queue } = await ch.assertQueue("", { exclusive: true, autoDelete: true });
      await ch.bindQueue(queue, CONTROL_EXCHANGE, "");
      await ch.consume(queue, () => this.read(), { noAck: true });
      return ch;
    })().catch((err: unknown) => {
      this.channel = undefined;
      throw err;
    });
    return this.channel;
  }

  private read(): void {
    if (this.running) this.reader();
  }

  async close(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    this.connection.off("connect", this.onConnect);
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
    const ch = this.channel;
    this.channel = undefined;
    if (ch !== undefined) await ch.then((c) => c.close()).catch(() => {});
  }
}
