import { computeBackoff } from "../backoff.js";
import type { Broker } from "../broker.js";
import { describeError, isInstance, traceback } from "../error-text.js";
import { Canceled, RateLimitExceeded, Retry } from "../errors.js";
import { lazyLogger } from "../logger.js";
import type { MessageProxy } from "../message-proxy.js";
import type { ActorOptions, BackoffStrategy } from "../options.js";
import { isThrown, readOption, targetActorName, targetLabel } from "../options.js";
import { clip } from "../render.js";
import { optionChecks, validateOptions } from "../validate.js";
import { handOff } from "./hand-off.js";
import type { AfterProcessOutcome } from "./middleware.js";
import { Middleware } from "./middleware.js";

const log = lazyLogger("taskq.middleware.Retries");

/** Default backoff of the first retry, ms (15 s). */
export const DEFAULT_MIN_BACKOFF = 15_000;
/** Also the ceiling of any backoff: longer delays are not reliable on every broker. */
export const DEFAULT_MAX_BACKOFF = 7 * 24 * 3600 * 1000;
/** First backoff after a `RateLimitExceeded`, ms. */
export const DEFAULT_RATE_LIMIT_BACKOFF = 100;
/** Longest backoff after `RateLimitExceeded`s in a row, ms. */
export const DEFAULT_RATE_LIMIT_MAX_BACKOFF = 5000;

/** Options of `new Retries()`: defaults for actors that set none. */
export interface RetriesOptions {
  /** Retries before a message is dead-lettered; `null` retries forever. Default 20. */
  maxRetries?: number | null;
  /** Backoff of the first retry, ms. Default 15 000. */
  minBackoff?: number;
  /** Longest backoff, ms. Default 7 days. */
  maxBackoff?: number;
  /** `(retriesSoFar, error) => boolean`; takes precedence over maxRetries. */
  retryWhen?: (retries: number, error: unknown) => boolean;
  /** How backoff grows between retries. Default `exponential`. */
  backoffStrategy?: BackoffStrategy;
  /** Stretch each backoff by a random factor between 1 and 2. Default true. */
  jitter?: boolean;
  /**
   * Backoff after `RateLimitExceeded`, ms: doubled with each refusal in a row, with jitter, up
   * to `rateLimitMaxBackoff`. These retries do not count toward maxRetries. Default 100.
   */
  rateLimitBackoff?: number;
  /** Longest backoff after `RateLimitExceeded`, ms. Default 5 000. */
  rateLimitMaxBackoff?: number;
}

const checkCount = optionChecks.orNull(optionChecks.nonNegativeInteger);

/**
 * Retries failed messages with backoff. A message whose retries run out (or that `retryWhen`
 * refuses, or that threw one of its actor's `throws`) is failed and dead-lettered. A
 * `RateLimitExceeded` is not a failure: the message is retried soon, and without limit.
 */
export class Retries extends Middleware {
  /** Default retries before a message is dead-lettered; `null` retries forever. */
  readonly maxRetries: number | null;
  /** Default backoff of the first retry, ms. */
  readonly minBackoff: number;
  /** Default longest backoff, ms. */
  readonly maxBackoff: number;
  /** Default `(retriesSoFar, error) => boolean`, taking precedence over maxRetries. */
  readonly retryWhen: ((retries: number, error: unknown) => boolean) | undefined;
  /** Default growth of the backoff between retries. */
  readonly backoffStrategy: BackoffStrategy;
  /** Whether backoffs are stretched by a random factor by default. */
  readonly jitter: boolean;
  /** Default backoff after a `RateLimitExceeded`, ms. */
  readonly rateLimitBackoff: number;
  /** Default longest backoff after `RateLimitExceeded`s in a row, ms. */
  readonly rateLimitMaxBackoff: number;

  constructor(options: RetriesOptions = {}) {
    super();
    validateOptions("Retries", options, {
      maxRetries: checkCount,
      minBackoff: optionChecks.nonNegativeNumber,
      maxBackoff: optionChecks.nonNegativeNumber,
      retryWhen: optionChecks.function,
      backoffStrategy: optionChecks.oneOf(
        "constant",
        "linear",
        "spread_linear",
        "exponential",
        "spread_exponential",
      ),
      jitter: optionChecks.boolean,
      rateLimitBackoff: optionChecks.positiveNumber,
      rateLimitMaxBackoff: optionChecks.positiveNumber,
    });
    this.maxRetries = options.maxRetries === undefined ? 20 : options.maxRetries;
    this.minBackoff = options.minBackoff ?? DEFAULT_MIN_BACKOFF;
    this.maxBackoff = options.maxBackoff ?? DEFAULT_MAX_BACKOFF;
    this.retryWhen = options.retryWhen;
    this.backoffStrategy = options.backoffStrategy ?? "exponential";
    this.jitter = options.jitter ?? true;
    this.rateLimitBackoff = options.rateLimitBackoff ?? DEFAULT_RATE_LIMIT_BACKOFF;
    this.rateLimitMaxBackoff = options.rateLimitMaxBackoff ?? DEFAULT_RATE_LIMIT_MAX_BACKOFF;
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
      "rateLimitBackoff",
      "rateLimitMaxBackoff",
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

    if (isInstance(error, RateLimitExceeded)) return this.retryRateLimited(broker, message, actor);

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

  /**
   * A rate limiter refused the call: nothing failed, so the message comes back soon, its
   * `retries` untouched. Backoff doubles with each refusal in a row (`rate_limit_retries`),
   * with jitter so that waiting messages spread out instead of retrying in step.
   */
  private retryRateLimited(
    broker: Broker,
    message: MessageProxy,
    actor: { readonly options: Readonly<ActorOptions> } | undefined,
  ): Promise<void> {
    const options = message.options;
    const refusals =
      typeof options.rate_limit_retries === "number" ? options.rate_limit_retries : 0;
    const delay = computeBackoff({
      retries: refusals,
      minBackoff: readOption(options, actor, "rateLimitBackoff") ?? this.rateLimitBackoff,
      maxBackoff: Math.min(
        readOption(options, actor, "rateLimitMaxBackoff") ?? this.rateLimitMaxBackoff,
        DEFAULT_MAX_BACKOFF,
      ),
      maxRetries: null,
      strategy: "exponential",
      jitter: true,
    });
    log.info(
      `Message ${message.messageId} (${clip(message.actorName)}) was rate-limited; retrying in ${delay} milliseconds (rate limits do not count toward maxRetries).`,
    );
    const next = message.message.copy({ options: { rate_limit_retries: refusals + 1 } });
    return handOff(message, "the rate-limited retry", log, () => broker.enqueue(next, { delay }));
  }
}
