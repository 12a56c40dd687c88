import type { Broker } from "../broker.js";
import { lazyLogger } from "../logger.js";
import type { MessageProxy } from "../message-proxy.js";
import { actorRefName, readOption } from "../options.js";
import { handOff } from "./hand-off.js";
import type { AfterProcessOutcome } from "./middleware.js";
import { Middleware } from "./middleware.js";

const log = lazyLogger("taskq.middleware.Callbacks");

function errorInfo(error: unknown): { type: string; message: string } {
  if (error instanceof Error) return { type: error.constructor.name, message: error.message };
  return { type: typeof error, message: String(error) };
}

/**
 * `onSuccess` is sent `(messageDict, result)` after a success; `onFailure` is sent
 * `(messageDict, { type, message })` once the message has failed for good (not on attempts
 * that will be retried).
 */
export class Callbacks extends Middleware {
  override get actorOptions(): readonly string[] {
    return ["onSuccess", "onFailure"];
  }

  override afterProcessMessage(
    broker: Broker,
    message: MessageProxy,
    outcome: AfterProcessOutcome,
  ): void | Promise<void> {
    const actor = broker.findActor(message.actorName);
    if (!("exception" in outcome) && !message.failed) {
      const target = readOption(message.options, actor, "onSuccess");
      if (target === undefined) return;
      const name = actorRefName(target);
      return handOff(message, `success callback ${name}`, log, () =>
        broker.getActor(name).send(message.message.asDict(), outcome.result),
      );
    }
    if (!message.failed) return;
    const target = readOption(message.options, actor, "onFailure");
    if (target === undefined) return;
    const name = actorRefName(target);
    return handOff(message, `failure callback ${name}`, log, () =>
      broker
        .getActor(name)
        .send(message.message.asDict(), errorInfo(outcome.exception ?? message.exception)),
    );
  }
}
