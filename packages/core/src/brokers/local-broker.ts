import type { BrokerOptions, QueueMessageCounts } from "../broker.js";
import { Broker } from "../broker.js";
import type { Consumer } from "../consumer.js";
import { BrokerError, SkipMessage } from "../errors.js";
import { Message } from "../message.js";
import { MessageProxy } from "../message-proxy.js";
import { Callbacks } from "../middleware/callbacks.js";
import { defaultMiddleware } from "../middleware/defaults.js";
import { Pipelines } from "../middleware/pipelines.js";
import { TimeLimit } from "../middleware/time-limit.js";
import { InlineRun } from "./inline-run.js";

let defaultOptionNames: readonly string[] | undefined;

/**
 * Runs each actor inline when its message is enqueued, with no worker (Remoulade's local
 * broker): for development and scripts. The message still goes through encoding, so what
 * could not travel fails here too; the actor's error rejects the `send`, at once: there are
 * no retries inline. Delays are not waited for. Default middleware: TimeLimit, Callbacks and
 * Pipelines. Every option the default middleware of a worker-backed broker accepts is
 * accepted here too, whatever the middleware list, so actors declare unchanged.
 */
export class LocalBroker extends Broker {
  constructor(options: BrokerOptions = {}) {
    super({
      middleware: options.middleware ?? [new TimeLimit(), new Callbacks(), new Pipelines()],
    });
  }

  /** @internal */
  protected override get implicitActorOptions(): readonly string[] {
    defaultOptionNames ??= defaultMiddleware().flatMap((m) => [...m.actorOptions]);
    return defaultOptionNames;
  }

  protected async doEnqueue<R>(message: Message<R>): Promise<Message<R>> {
    const decoded = Message.decode(message.encode()) as Message<R>;
    const actor = this.getActor(decoded.actorName);
    const proxy = new MessageProxy(decoded);
    try {
      const before = this.emitBefore("beforeProcessMessage", proxy);
      if (before) await before;
    } catch (err) {
      if (err instanceof SkipMessage) {
        proxy.stuffException(err);
        const after = this.emitAfter("afterSkipMessage", proxy);
        if (after) await after;
        return message;
      }
      throw err;
    }
    const fn = actor.fn as (...args: unknown[]) => unknown;
    let result: unknown;
    try {
      const run = new InlineRun(proxy);
      const args = decoded.callArguments();
      result = await (this.hasHook("aroundProcessMessage")
        ? this.emitAround(proxy, () => run.call(fn, args))
        : run.call(fn, args));
    } catch (err) {
      proxy.stuffException(err);
      proxy.fail();
      const after = this.emitAfter("afterProcessMessage", proxy, { exception: err });
      if (after) await after;
      throw err;
    }
    // Returning nothing is a result: null, as Dramatiq's None.
    if (result === undefined) result = null;
    const after = this.emitAfter("afterProcessMessage", proxy, { result });
    if (after) await after;
    return message;
  }

  consume(queueName: string): Consumer {
    throw new BrokerError(
      `LocalBroker runs actors when they are sent; it has no consumers (queue ${queueName})`,
    );
  }

  async join(): Promise<void> {}

  async flush(): Promise<void> {}

  async getQueueMessageCounts(): Promise<QueueMessageCounts> {
    return { ready: 0, delayed: 0, dead: 0 };
  }
}
