import { fitBytes, TRACEBACK_LIMIT, traceback } from "./error-text.js";
import type { Message } from "./message.js";

/**
 * A message as a consumer delivered it: the Message plus the processing state the worker and
 * middleware share (failed, the error it failed with). Brokers subclass it to carry their
 * delivery handle (a Redis id, an AMQP delivery tag).
 */
export class MessageProxy<R = unknown> {
  private current: Message<R>;
  /** Set by `fail()`: the message is dead-lettered (nacked) instead of acked. */
  failed = false;
  /** The error the actor (or a middleware) failed with, if any. */
  exception: unknown = undefined;
  /**
   * Set by `giveBack()`: a hand-off (retry, callback, next pipeline step) could not be
   * enqueued, so the message must be neither acked nor dead-lettered but requeued.
   * @internal
   */
  givenBack = false;
  /** @internal Why a hand-off failed (set by `giveBack()` and `handOffFailed()`). */
  handOffError: unknown = undefined;
  /** @internal What could not be handed off ("the retry", "success callback x"...). */
  handOffWhat: string | undefined = undefined;

  constructor(message: Message<R>) {
    this.current = message;
  }

  /**
   * The message. Middleware that record something on it (Retries' `traceback`) replace it with
   * a copy through `setOptions`, as Dramatiq's write `message.options` in place.
   */
  get message(): Message<R> {
    return this.current;
  }

  /**
   * Merge `options` into the message's options (a key set to undefined is removed). A broker
   * that stores the message as it is now when it dead-letters it keeps them.
   */
  setOptions(options: Record<string, unknown>): void {
    this.current = this.current.copy({ options });
  }

  /** The message's queue. */
  get queueName(): string {
    return this.message.queueName;
  }
  /** The message's actor. */
  get actorName(): string {
    return this.message.actorName;
  }
  /** The message's positional arguments. */
  get args(): readonly unknown[] {
    return this.message.args;
  }
  /** The message's keyword arguments (from Python producers). */
  get kwargs(): Record<string, unknown> {
    return this.message.kwargs;
  }
  /** The message's wire options (snake_case), as last set. */
  get options(): Record<string, unknown> {
    return this.message.options;
  }
  /** The message's id. */
  get messageId(): string {
    return this.message.messageId;
  }
  /** Epoch ms of the message's first enqueue. */
  get messageTimestamp(): number {
    return this.message.messageTimestamp;
  }

  /** Mark the message for rejection (dead letter). */
  fail(): void {
    this.failed = true;
  }

  /** Record the error the message failed with (read by Retries, Results and callbacks). */
  stuffException(error: unknown): void {
    this.exception = error;
  }

  /** Forget the recorded error (a middleware that handled it). */
  clearException(): void {
    this.exception = undefined;
  }

  /**
   * A middleware could not hand this message on for a reason that may pass (the broker is
   * unreachable): requeue it rather than ack and lose it.
   */
  giveBack(error: unknown, what?: string): void {
    this.givenBack = true;
    this.handOffError = error;
    this.handOffWhat = what;
  }

  /**
   * A middleware could not hand this message on, and trying again would fail the same way (an
   * undeclared queue or actor, a value JSON cannot carry): dead-letter it with the reason.
   */
  handOffFailed(error: unknown, what: string): void {
    this.failed = true;
    this.handOffError = error;
    this.handOffWhat = what;
    if (this.exception === undefined) this.exception = error;
  }

  /**
   * Write why the message failed into its `traceback` option (bounded, at most about 4 KB),
   * as Dramatiq's Retries does: the failed hand-off first, then the error of the attempt.
   * Called by the worker just before a nack, so dead-letter listings can show it.
   * @internal
   */
  recordFailure(): void {
    const parts: string[] = [];
    if (this.handOffError !== undefined) {
      parts.push(
        `Could not enqueue ${this.handOffWhat ?? "a follow-up message"}: ${traceback(this.handOffError)}`,
      );
    }
    if (this.exception !== undefined && this.exception !== this.handOffError) {
      parts.push(traceback(this.exception));
    }
    if (parts.length === 0) return;
    const text = parts.join("\n\nThe attempt failed with:\n");
    this.setOptions({ traceback: fitBytes(text, TRACEBACK_LIMIT) });
  }

  /** The message as log lines show it (`Message.toString`). */
  toString(): string {
    return this.message.toString();
  }
}
