import { ActorNotFound, DecodeError, EncodeError, QueueNotFound } from "../errors.js";
import type { Logger } from "../logger.js";
import type { MessageProxy } from "../message-proxy.js";

/** Errors that no amount of requeueing fixes: code or data problems. */
function isPermanent(err: unknown): boolean {
  return (
    err instanceof ActorNotFound ||
    err instanceof QueueNotFound ||
    err instanceof EncodeError ||
    err instanceof DecodeError ||
    err instanceof TypeError
  );
}

/**
 * Enqueue something on behalf of a processed message (a retry, a callback, the next step).
 * If the broker cannot take it, the message is given back rather than acked, so nothing is
 * lost; a permanent error (unknown actor, unencodable value) is logged instead, since
 * processing the message again would fail the same way.
 */
export async function handOff(
  proxy: MessageProxy,
  what: string,
  log: Logger,
  enqueue: () => Promise<unknown>,
): Promise<void> {
  try {
    await enqueue();
  } catch (err) {
    if (isPermanent(err)) {
      log.error({ err }, `Could not enqueue ${what} of message ${proxy.messageId}; it is dropped.`);
      return;
    }
    log.error(
      { err },
      `Could not enqueue ${what} of message ${proxy.messageId}; the message is given back to its queue.`,
    );
    proxy.giveBack(err);
  }
}
