import { computeBackoff } from "../backoff.js";
import type { Broker } from "../broker.js";
import { describeError, isInstance, traceback } from "../error-text.js";
import { Canceled, Retry } from "../errors.js";
import { lazyLogger } from "../logger.js";
import type { MessageProxy } from "../message-proxy.js";
import type { BackoffStrategy } from "../options.js";
import { isThrown, readOption, targetActorName, targetLabel } from "../options.js";
import { handOff } from "./hand-off.js";
import type { AfterProcessOutcome } from "./middleware.js";
import { Middleware } from "./middleware.js";

const log = lazyLogger("taskq.middleware.Retries");

export const DEFAULT_MIN_BACKOFF = 15_000;
/** Also the ceiling of any backoff: longer delays are not reliable on every broker. */
export const DEFAULT_MAX_BACKOFF = 7 * 24 * 3600 * 1000;

export interface RetriesOptions {
  maxRetries?: number | null;
  minBackoff?: number;
  maxBackoff?: number;
  retryWhen?: (retries: number, error: unknown) => boolean;
  backoffStrategy?: BackoffStrategy;
  jitter?: boolean;
}

/**
 * Retries failed messages with backoff. A message whose retries run out (or that `retryWhen`
 * refuses, or that threw one of its actor's `throws`) is failed and dead-lettered.
 */
export class Retries extends Middleware {
  readonly maxRetries: number | null;
  readonly minBackoff: number;
  readonly maxBackoff: number;
  readonly retryWhen: ((retries: number, error: unknown) => boolean) | undefined;
  readonly backoffStrategy: BackoffStrategy;
  readonly jitter: boolean;

  constructor(options: RetriesOptions = {}) {
    super();
    this.maxRetries = options.maxRetries === undefined ? 20 : options.maxRetries;
    this.minBackoff = options.minBackoff ?? DEFAULT_MIN_BACKOFF;
    this.maxBackoff = options.maxBackoff ?? DEFAULT_MAX_BACKOFF;
    this.retryWhen = options.retryWhen;
    this.backoffStrategy = options.backoffStrategy ?? "exponential";
    this.jitter = options.jitter ?? true;
  }

  override get actorOptions(): readonly string[] {
    return [
      "maxRetries",
      "minBackoff",
      "maxBackoff",
      "retryWhen",
      "throws",
      "onRetryExhausted",
      "backoffStrategy",
      "jitter",
    ];
  }

  override afterProcessMessage(
    broker: Broker,
    message: MessageProxy,
    outcome: AfterProcessOutcome,
  ): void | Promise<void> {
    if (!("exception" in outcome) || message.failed) return;
    const error = outcome.exception;
    // Canceled while running: it ends there, whatever its maxRetries.
    if (isInstance(error, Canceled)) return;
    const actor = broker.findActor(message.actorName);
    const options = message.options;

    if (actor !== undefined && isThrown(actor, error)) {
      log.info(
        `Aborting message ${message.messageId}: ${describeError(error).type} is in its actor's throws.`,
      );
      message.fail();
      return;
    }

    const retries = typeof options.retries === "number" ? options.retries : 0;
    const ownMax = readOption(options, actor, "maxRetries");
    const maxRetries = ownMax === undefined ? this.maxRetries : ownMax;
    const retryWhen = actor?.options.retryWhen ?? this.retryWhen;
    let retry: boolean;
    if (retryWhen !== undefined) {
      try {
        retry = retryWhen(retries, error) === true;
      } catch (err) {
        log.error(
          { err },
          `retryWhen of ${message.actorName} threw; message ${message.messageId} is not retried.`,
        );
        retry = false;
      }
    } else {
      retry = maxRetries === null || retries < maxRetries;
    }

    if (!retry) {
      log.warn(`Retries exceeded for message ${message.messageId}.`);
      message.fail();
      const target = readOption(options, actor, "onRetryExhausted");
      if (target == null) return;
      return handOff(message, `retry-exhausted callback ${targetLabel(target)}`, log, () =>
        broker
          .getActor(targetActorName(target, "on_retry_exhausted"))
          .send(message.message.asDict(), { retries, max_retries: maxRetries }),
      );
    }

    let delay: number;
    if (isInstance(error, Retry) && (error as Retry).delay !== undefined) {
      delay = (error as Retry).delay as number;
    } else {
      const maxBackoff = Math.min(
        readOption(options, actor, "maxBackoff") ?? this.maxBackoff,
        DEFAULT_MAX_BACKOFF,
      );
      delay = computeBackoff({
        retries,
        minBackoff: readOption(options, actor, "minBackoff") ?? this.minBackoff,
        maxBackoff,
        maxRetries,
        strategy: readOption(options, actor, "backoffStrategy") ?? this.backoffStrategy,
        jitter: readOption(options, actor, "jitter") ?? this.jitter,
      });
    }
    log.info(`Retrying message ${message.messageId} in ${delay} milliseconds.`);
    const next = message.message.copy({
      options: { retries: retries + 1, traceback: traceback(error), requeue_timestamp: Date.now() },
    });
    return handOff(message, "the retry", log, () => broker.enqueue(next, { delay }));
  }
}
