import type { Message as AmqpMessage } from "amqplib";
import type { RabbitmqBroker } from "../../src/index.js";
import { deadLetterArguments, queueArguments } from "../../src/topology.js";

export interface PutRawOptions {
  /**
   * Declare the queue first, with the arguments Dramatiq and taskq use, as a foreign producer
   * would (default true). With false the queue must already exist: a publish that finds no
   * queue rejects instead of vanishing.
   */
  declare?: boolean;
  /** AMQP `messageId` property (a foreign producer may or may not set one). */
  messageId?: string;
}

/**
 * Put `bytes` on `queueName` exactly as another client would: on a confirm channel of its own
 * (on the broker's connection), bypassing the broker's encoder and publisher. Resolves once
 * RabbitMQ confirmed the message; rejects when it could not be routed to the queue.
 */
export async function putRaw(
  broker: RabbitmqBroker,
  queueName: string,
  bytes: Uint8Array | string,
  options: PutRawOptions = {},
): Promise<void> {
  const model = await broker.connection.get();
  const ch = await model.createConfirmChannel();
  let returned = false;
  ch.on("return", (_msg: AmqpMessage) => {
    returned = true;
  });
  try {
    if (options.declare ?? true) {
      for (const name of [queueName, `${queueName}.DQ`]) {
        await ch.assertQueue(name, {
          durable: true,
          arguments: queueArguments(name, broker.maxPriority, broker.queueType),
        });
      }
      await ch.assertQueue(`${queueName}.XQ`, {
        durable: true,
        arguments: deadLetterArguments(broker.deadMessageTtl, broker.queueType),
      });
    }
    ch.sendToQueue(queueName, Buffer.from(bytes), {
      persistent: true,
      mandatory: true,
      ...(options.messageId === undefined ? {} : { messageId: options.messageId }),
    });
    await ch.waitForConfirms();
  } finally {
    await ch.close().catch(() => {});
  }
  // A return arrives before the confirm of the same message.
  if (returned) throw new Error(`putRaw: no queue ${queueName} to put the message on`);
}
