import type { Broker } from "../broker.js";
import { SkipMessage } from "../errors.js";
import { lazyLogger } from "../logger.js";
import type { MessageProxy } from "../message-proxy.js";
import { readOption } from "../options.js";
import { Middleware } from "./middleware.js";

const log = lazyLogger("taskq.middleware.AgeLimit");

/** Dead-letters messages older than `maxAge` ms (since their first enqueue) instead of running them. */
export class AgeLimit extends Middleware {
  /** Default age limit, ms, for actors that set none; `null` for none. */
  readonly maxAge: number | null;

  constructor(options: { maxAge?: number | null } = {}) {
    super();
    this.maxAge = options.maxAge ?? null;
  }

  override get actorOptions(): readonly string[] {
    return ["maxAge"];
  }

  override beforeProcessMessage(broker: Broker, message: MessageProxy): void {
    const own = readOption(message.options, broker.findActor(message.actorName), "maxAge");
    const maxAge = own === undefined ? this.maxAge : own;
    if (!maxAge) return;
    if (Date.now() - message.messageTimestamp >= maxAge) {
      log.warn(`Message ${message.messageId} has exceeded its age limit of ${maxAge} ms.`);
      message.fail();
      throw new SkipMessage("Message age limit exceeded");
    }
  }
}
