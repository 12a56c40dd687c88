import { isInstance } from "../error-text.js";
import {
  ActorNotFound,
  DecodeError,
  EncodeError,
  InvalidArgument,
  QueueNotFound,
} from "../errors.js";
import type { Logger } from "../logger.js";
import type { MessageProxy } from "../message-proxy.js";

const PERMANENT = [InvalidArgument, ActorNotFound, QueueNotFound, EncodeError, DecodeError];

/**
 * Errors that no amount of requeueing fixes: a queue or actor this broker does not know, a
 * value JSON cannot carry, a malformed message. Decided on taskq's own classes only: a
 * TypeError may come from a middleware's bug or a backend hiccup, and is treated as passing.
 */
export function isPermanent(err: unknown): boolean {
  return PERMANENT.some((cls) => isInstance(err, cls));
}

/**
 * Enqueue something on behalf of a processed message (a retry, a callback, the next step).
 * Nothing is lost when the broker cannot take it: for a permanent error the message is
 * dead-lettered with the reason (written into its `traceback` option when it is nacked); for
 * any other it is given back to its queue to be processed again.
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
      log.error(
        { err },
        `Could not enqueue ${what} of message ${proxy.messageId}; the message is moved to the dead letters.`,
      );
      proxy.handOffFailed(err, what);
      return;
    }
    log.error(
      { err },
      `Could not enqueue ${what} of message ${proxy.messageId}; the message is given back to its queue.`,
    );
    proxy.giveBack(err, what);
  }
}
