import type { Broker } from "../broker.js";
import { lazyLogger } from "../logger.js";
import { Message } from "../message.js";
import type { MessageProxy } from "../message-proxy.js";
import { readOption } from "../options.js";
import { handOff } from "./hand-off.js";
import type { AfterProcessOutcome } from "./middleware.js";
import { Middleware } from "./middleware.js";

const log = lazyLogger("taskq.middleware.Pipelines");

/**
 * After a success, enqueues the message's `pipe_target` (the next pipeline step) with the
 * result appended to its args, unless that step has `pipeIgnore`.
 */
export class Pipelines extends Middleware {
  override get actorOptions(): readonly string[] {
    return ["pipeIgnore"];
  }

  override afterProcessMessage(
    broker: Broker,
    message: MessageProxy,
    outcome: AfterProcessOutcome,
  ): void | Promise<void> {
    if ("exception" in outcome || message.failed) return;
    const target = message.options.pipe_target;
    if (target === undefined || target === null) return;
    return handOff(message, "the next pipeline step", log, async () => {
      const next = Message.fromDict(target);
      const ignore = readOption(next.options, broker.findActor(next.actorName), "pipeIgnore");
      const step = ignore ? next : next.copy({ args: [...next.args, outcome.result] });
      const delay = next.options.delay;
      await broker.enqueue(step, typeof delay === "number" ? { delay } : {});
    });
  }
}
