import { getCurrentMessage } from "../context.js";
import type { Message } from "../message.js";
import { Middleware } from "./middleware.js";

/**
 * Dramatiq's CurrentMessage. In taskq every worker-run actor already has its message in
 * AsyncLocalStorage, so this middleware only offers the familiar static accessor; adding
 * it to a broker changes nothing.
 */
export class CurrentMessage extends Middleware {
  /**
   * The message whose actor is running here (`getCurrentMessage()`), or undefined outside a worker-
   * run actor.
   */
  static getCurrentMessage<R = unknown>(): Message<R> | undefined {
    return getCurrentMessage<R>();
  }
}
