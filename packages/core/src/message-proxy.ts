import type { Message } from "./message.js";

/**
 * A message as a consumer delivered it: the Message plus the processing state the worker and
 * middleware share (failed, the error it failed with). Brokers subclass it to carry their
 * delivery handle (a Redis id, an AMQP delivery tag).
 */
export class MessageProxy<R = unknown> {
  readonly message: Message<R>;
  /** Set by `fail()`: the message is dead-lettered (nacked) instead of acked. */
  failed = false;
  /** The error the actor (or a middleware) failed with, if any. */
  exception: unknown = undefined;
  /**
   * Set by `giveBack()`: a hand-off (retry, callback, next pipeline step) could not be
   * enqueued, so the message must be neither acked nor dead-lettered but requeued.
   */
  givenBack = false;
  handOffError: unknown = undefined;

  constructor(message: Message<R>) {
    this.message = message;
  }

  get queueName(): string {
    return this.message.queueName;
  }
  get actorName(): string {
    return this.message.actorName;
  }
  get args(): readonly unknown[] {
    return this.message.args;
  }
  get kwargs(): Record<string, unknown> {
    return this.message.kwargs;
  }
  get options(): Record<string, unknown> {
    return this.message.options;
  }
  get messageId(): string {
    return this.message.messageId;
  }
  get messageTimestamp(): number {
    return this.message.messageTimestamp;
  }

  /** Mark the message for rejection (dead letter). */
  fail(): void {
    this.failed = true;
  }

  stuffException(error: unknown): void {
    this.exception = error;
  }

  clearException(): void {
    this.exception = undefined;
  }

  /** A middleware could not hand this message on: requeue it rather than ack and lose it. */
  giveBack(error: unknown): void {
    this.givenBack = true;
    this.handOffError = error;
  }

  toString(): string {
    return this.message.toString();
  }
}
