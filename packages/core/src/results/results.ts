import type { Actor } from "../actor.js";
import type { Broker } from "../broker.js";
import { closeResource } from "../closable.js";
import { isInstance } from "../error-text.js";
import { Canceled, EncodeError, InvalidArgument } from "../errors.js";
import { lazyLogger } from "../logger.js";
import type { MessageProxy } from "../message-proxy.js";
import { handOff } from "../middleware/hand-off.js";
import type { AfterProcessOutcome } from "../middleware/middleware.js";
import { Middleware } from "../middleware/middleware.js";
import { readOption, resultPassedOn } from "../options.js";
import { clip } from "../render.js";
import type { ResultBackend } from "./result-backend.js";

const log = lazyLogger("taskq.middleware.Results");

/** Options of `new Results()`. */
export interface ResultsOptions {
  /** Where results are stored. */
  backend: ResultBackend;
  /** Store every actor's results unless the actor says otherwise. Default false. */
  storeResults?: boolean;
  /** How long results live, ms. Default 10 minutes. */
  resultTtl?: number;
}

/**
 * Stores actors' results (those with `storeResults`) in a result backend: the value on
 * success, the error once the message has failed for good (on nack), null for a message
 * skipped without failing.
 */
export class Results extends Middleware {
  /** Where results are stored. */
  readonly backend: ResultBackend;
  /** Whether actors that do not say otherwise store their results. */
  readonly storeResults: boolean;
  /** Default lifetime of a stored result, ms. */
  readonly resultTtl: number;
  /** Actors warned about for a discarded return value: once each (Dramatiq warns every time). */
  private readonly warned = new Set<string>();

  constructor(options: ResultsOptions) {
    super();
    if (options?.backend === undefined) {
      throw new InvalidArgument(
        "Results needs a backend: new Results({ backend: new StubResultBackend() })",
      );
    }
    this.backend = options.backend;
    this.storeResults = options.storeResults ?? false;
    this.resultTtl = options.resultTtl ?? 600_000;
  }

  override get actorOptions(): readonly string[] {
    return ["storeResults", "resultTtl"];
  }

  override get resultsBackend(): ResultBackend {
    return this.backend;
  }

  /**
   * Whether the result of `message` is stored: its own `storeResults` option, else its
   * actor's, else this middleware's default. `getResult` asks, so that reading the result of
   * an actor that stores none fails at once instead of waiting out its timeout.
   */
  storesResultOf(
    message: { readonly options: Readonly<Record<string, unknown>> },
    actor: Actor | undefined,
  ): boolean {
    return readOption(message.options, actor, "storeResults") ?? this.storeResults;
  }

  private lookup(message: MessageProxy, actor: Actor | undefined): { store: boolean; ttl: number } {
    return {
      store: this.storesResultOf(message, actor),
      ttl: readOption(message.options, actor, "resultTtl") ?? this.resultTtl,
    };
  }

  override afterProcessMessage(
    broker: Broker,
    message: MessageProxy,
    outcome: AfterProcessOutcome,
  ): void | Promise<void> {
    if ("exception" in outcome) {
      // Canceled while running: acked, never retried, so no nack will store its end.
      if (isInstance(outcome.exception, Canceled))
        return this.storeCanceled(broker, message, outcome.exception);
      return;
    }
    // Returning nothing is a result: stored as null, as Dramatiq stores None.
    const result = outcome.result === undefined ? null : outcome.result;
    const actor = broker.findActor(message.actorName);
    const { store, ttl } = this.lookup(message, actor);
    if (store) return this.storeValue(message, result, ttl);
    if (
      result !== null &&
      !this.warned.has(message.actorName) &&
      !resultPassedOn(message.options, actor)
    ) {
      this.warned.add(message.actorName);
      log.warn(
        `Actor '${clip(message.actorName)}' returned a value that is not null, but you haven't set its storeResults option to true, so the value has been discarded.`,
      );
    }
  }

  override afterSkipMessage(broker: Broker, message: MessageProxy): void | Promise<void> {
    const cause = (message.exception as { cause?: unknown } | undefined)?.cause;
    if (isInstance(cause, Canceled)) return this.storeCanceled(broker, message, cause);
    const { store, ttl } = this.lookup(message, broker.findActor(message.actorName));
    if (store && !message.failed) return this.storeValue(message, null, ttl);
  }

  /** A canceled message's result is the Canceled error: a waiting getResult fails at once. */
  private async storeCanceled(
    broker: Broker,
    message: MessageProxy,
    error: unknown,
  ): Promise<void> {
    const { store, ttl } = this.lookup(message, broker.findActor(message.actorName));
    if (!store) return;
    try {
      await this.backend.storeException(message, error, ttl);
    } catch (err) {
      log.error({ err }, `Could not store the cancel of message ${message.messageId}.`);
    }
  }

  override async afterNack(broker: Broker, message: MessageProxy): Promise<void> {
    const { store, ttl } = this.lookup(message, broker.findActor(message.actorName));
    if (!store || !message.failed) return;
    try {
      await this.backend.storeException(message, message.exception ?? new Error("unknown"), ttl);
    } catch (err) {
      log.error({ err }, `Could not store the failure of message ${message.messageId}.`);
    }
  }

  /** The broker was closed: close the backend's own connections (a client you gave it stays open). */
  override afterBrokerClose(): Promise<void> {
    return closeResource(this.backend);
  }

  /**
   * A value JSON cannot carry is stored as a failure naming the problem, so the caller gets
   * a ResultFailure rather than a timeout; a backend outage gives the message back.
   */
  private storeValue(message: MessageProxy, value: unknown, ttl: number): Promise<void> {
    return handOff(message, "the result", log, async () => {
      try {
        await this.backend.storeResult(message, value, ttl);
      } catch (err) {
        if (!(err instanceof EncodeError)) throw err;
        log.error(
          { err },
          `The result of message ${message.messageId} cannot be stored; storing the error instead.`,
        );
        await this.backend.storeException(message, err, ttl);
      }
    });
  }
}
