import type { Broker } from "../broker.js";
import { interruptMessage } from "../context.js";
import { TimeLimitExceeded } from "../errors.js";
import { lazyLogger } from "../logger.js";
import type { MessageProxy } from "../message-proxy.js";
import { readOption } from "../options.js";
import type { DeadlineHandle } from "./deadlines.js";
import { Deadlines } from "./deadlines.js";
import { Middleware } from "./middleware.js";

const log = lazyLogger("taskq.middleware.TimeLimit");

// The pending deadline rides on the message proxy: no map to update per message.
const DEADLINE = Symbol("taskq.timeLimit.deadline");
type Timed = MessageProxy & { [DEADLINE]?: DeadlineHandle<MessageProxy> };

/**
 * Fails an actor that runs past its `timeLimit` (ms): its AbortSignal aborts with
 * TimeLimitExceeded and the message is retried or dead-lettered at that moment. A function
 * that ignores the signal keeps its concurrency slot until it returns.
 */
export class TimeLimit extends Middleware {
  /** Default time limit, ms, for actors that set none; `null` for none. */
  readonly timeLimit: number | null;
  private readonly deadlines = new Deadlines<MessageProxy>((message, ms) =>
    this.expire(message, ms),
  );

  constructor(options: { timeLimit?: number | null } = {}) {
    super();
    this.timeLimit = options.timeLimit === undefined ? 600_000 : options.timeLimit;
  }

  override get actorOptions(): readonly string[] {
    return ["timeLimit"];
  }

  override beforeProcessMessage(broker: Broker, message: MessageProxy): void {
    const own = readOption(message.options, broker.findActor(message.actorName), "timeLimit");
    const limit = own === undefined ? this.timeLimit : own;
    if (limit === null || !(limit > 0) || !Number.isFinite(limit)) return;
    (message as Timed)[DEADLINE] = this.deadlines.add(limit, message);
  }

  private expire(message: MessageProxy, limit: number): void {
    (message as Timed)[DEADLINE] = undefined;
    const error = new TimeLimitExceeded(
      `${message.actorName} exceeded its time limit of ${limit} ms`,
    );
    if (interruptMessage(message, error)) {
      log.warn(
        `Time limit of ${limit} ms exceeded for message ${message.messageId} (${message.actorName}); it is failed now and keeps its worker slot until the function returns.`,
      );
    }
  }

  override afterProcessMessage(_broker: Broker, message: MessageProxy): void {
    this.clear(message);
  }

  override afterSkipMessage(_broker: Broker, message: MessageProxy): void {
    this.clear(message);
  }

  private clear(message: MessageProxy): void {
    const handle = (message as Timed)[DEADLINE];
    if (handle !== undefined) {
      this.deadlines.cancel(handle);
      (message as Timed)[DEADLINE] = undefined;
    }
  }
}
