import type { Broker } from "../broker.js";
import { describeError } from "../error-text.js";
import { lazyLogger } from "../logger.js";
import type { MessageProxy } from "../message-proxy.js";
import { readOption, targetActorName, targetLabel } from "../options.js";
import { handOff } from "./hand-off.js";
import type { AfterProcessOutcome } from "./middleware.js";
import { Middleware } from "./middleware.js";

const log = lazyLogger("taskq.middleware.Callbacks");

/**
 * `onSuccess` is sent `(messageDict, result)` after a success; `onFailure` is sent
 * `(messageDict, { type, message })` once the message has failed for good (not on attempts
 * that will be retried — Dramatiq's `on_failure` fires on every failed attempt).
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
      // null is Python's None on the wire: no callback.
      const target = readOption(message.options, actor, "onSuccess");
      if (target == null) return;
      return handOff(message, `success callback ${targetLabel(target)}`, log, () =>
        broker
          .getActor(targetActorName(target, "on_success"))
          .send(message.message.asDict(), outcome.result),
      );
    }
    if (!message.failed) return;
    const target = readOption(message.options, actor, "onFailure");
    if (target == null) return;
    return handOff(message, `failure callback ${targetLabel(target)}`, log, () =>
      broker
        .getActor(targetActorName(target, "on_failure"))
        .send(message.message.asDict(), describeError(outcome.exception ?? message.exception)),
    );
  }
}
