import type { Broker } from "../broker.js";
import type { GroupSpec } from "../composition/linking.js";
import { continueWith } from "../composition/linking.js";
import { describeError } from "../error-text.js";
import { lazyLogger } from "../logger.js";
import type { MessageData } from "../message.js";
import type { MessageProxy } from "../message-proxy.js";
import { handOff } from "./hand-off.js";
import type { AfterProcessOutcome } from "./middleware.js";
import { Middleware } from "./middleware.js";

const log = lazyLogger("taskq.middleware.Pipelines");

/**
 * After a success, starts the message's next pipeline step (`pipe_target`, or every member
 * of a group for `pipe_target_group`) with the result appended to its args, unless that step
 * has `pipeIgnore`. A failed step stops the chain, unless its pipeline has `pipeOnError`
 * (option `pipe_on_error`): then a step that failed for good starts the next one with
 * `{ origExcType, origExcMsg }`.
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
    if ("exception" in outcome || message.failed)
      return this.afterFailure(broker, message, outcome);
    const next = message.options.pipe_target as MessageData | undefined | null;
    const group = message.options.pipe_target_group as GroupSpec | undefined | null;
    if (next == null && group == null) return;
    return handOff(message, "the next pipeline step", log, () =>
      continueWith(broker, next != null ? { message: next } : { group: group! }, outcome.result),
    );
  }

  /**
   * `pipeOnError`: a step that failed for good (Retries, earlier in the list, has decided by
   * now) starts the next one with ResultFailure's fields in place of a result.
   */
  private afterFailure(
    broker: Broker,
    message: MessageProxy,
    outcome: AfterProcessOutcome,
  ): void | Promise<void> {
    if (!message.failed || message.options.pipe_on_error !== true) return;
    const next = message.options.pipe_target as MessageData | undefined | null;
    if (next == null) return;
    const { type, message: text } = describeError(outcome.exception ?? message.exception);
    return handOff(message, "the next pipeline step", log, () =>
      continueWith(broker, { message: next }, { origExcType: type, origExcMsg: text }),
    );
  }
}
