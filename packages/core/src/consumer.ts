import type { MessageProxy } from "./message-proxy.js";

/** Options of `broker.consume`. */
export interface ConsumeOptions {
  /** How many unacked messages this consumer may hold. */
  prefetch?: number;
  /** Idle time in ms after which a fetch resolves empty. */
  timeout?: number;
}

/** Options of `consumer.fetch`. */
export interface FetchOptions {
  /** Resolve with no messages after this many idle ms. */
  timeout: number;
  /** Resolve at once, with no messages, when aborted. */
  signal?: AbortSignal;
}

/**
 * A broker's view of one queue for one worker. Messages it hands out stay unacked until
 * `ack` (done), `nack` (dead letter) or `requeue` (given back); whatever is still unacked
 * when the consumer closes — or its process dies — is delivered again.
 */
export interface Consumer {
  /** The queue (or delay queue) this consumer reads. */
  readonly queueName: string;
  /**
   * Up to `max` messages, as soon as at least one is there; an empty array after
   * `timeout` idle ms or when `signal` aborts. Undecodable messages never come out of
   * here: the consumer dead-letters them and logs why.
   */
  fetch(max: number, options: FetchOptions): Promise<MessageProxy[]>;
  /** The message is done: remove it from the queue for good. */
  ack(message: MessageProxy): void | Promise<void>;
  /**
   * Dead-letter the message. By then `message.message` carries why in its `traceback` option
   * (the worker writes it just before): a broker that can store the message as it is now
   * (`message.message.encode()`) rather than the bytes it fetched should, so that dead-letter
   * listings show the reason.
   */
  nack(message: MessageProxy): void | Promise<void>;
  /** Give unprocessed messages back to their queue. */
  requeue(messages: readonly MessageProxy[]): Promise<void>;
  /** Stop consuming; whatever is still unacked is delivered again. */
  close(): Promise<void>;
}
