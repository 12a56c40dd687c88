import type { Broker } from "../broker.js";
import { LocalBroker } from "../brokers/local-broker.js";
import { describeError, isInstance } from "../error-text.js";
import { Canceled, InvalidArgument } from "../errors.js";
import type { ProgressRecorder } from "../lifecycle/lookup.js";
import { PROGRESS_OWNER, STATE_BRAND } from "../lifecycle/lookup.js";
import { lazyLogger } from "../logger.js";
import type { Message } from "../message.js";
import type { MessageProxy } from "../message-proxy.js";
import type { AfterProcessOutcome } from "../middleware/middleware.js";
import { Middleware } from "../middleware/middleware.js";
import { isPromotion } from "../promotion.js";
import { qName } from "../queue-names.js";
import { describeValue } from "../validate.js";
import type { StateBackend } from "./state-backend.js";
import type {
  MessageStatus,
  Progress,
  StateError,
  StateFilter,
  StateListOptions,
  StateRecord,
  StateUpdate,
  WaitForStateOptions,
} from "./types.js";

const log = lazyLogger("taskq.middleware.MessageState");

export interface MessageStateOptions {
  /** Where states are kept: a StubStateBackend, a RedisStateBackend... */
  backend: StateBackend;
  /** How long a state lives after its last write, ms. Default 1 day. */
  ttl?: number;
}

/** How an attempt ended, as the after hooks saw it; written once the worker settles it. */
type Outcome =
  | { kind: "success" }
  | { kind: "error"; error: unknown }
  | { kind: "skip"; error: unknown };

const OUTCOME = Symbol("taskq.messageState.outcome");
type Tracked = MessageProxy & { [OUTCOME]?: Outcome; [PROGRESS_OWNER]?: ProgressRecorder };

function canceledBy(error: unknown): Canceled | undefined {
  if (isInstance(error, Canceled)) return error as Canceled;
  const cause = (error as { cause?: unknown } | null)?.cause;
  return isInstance(cause, Canceled) ? (cause as Canceled) : undefined;
}

function retriesOf(options: Record<string, unknown>): number {
  const r = options.retries;
  return typeof r === "number" && Number.isInteger(r) && r >= 0 ? r : 0;
}

/**
 * Records every message's state in a StateBackend: pending when sent (again, with its retries
 * and eta, when a retry is scheduled), started, and how it ended — success, failure (failed for
 * good), skipped or canceled — plus the progress its actor reports. Readers (`get`, `waitFor`,
 * `list`, `count`) work from any process. The ends are written when the worker settles the
 * message, so a state says what the broker did (a retried attempt is not a failure).
 */
export class MessageState extends Middleware implements ProgressRecorder {
  readonly backend: StateBackend;
  readonly ttl: number;
  /** The error of an attempt that Retries may retry: the retry's pending state says why. */
  private readonly lastErrors = new Map<string, StateError>();
  private writeFailing = false;

  constructor(options: MessageStateOptions) {
    super();
    if (options?.backend === undefined) {
      throw new InvalidArgument(
        "MessageState needs a backend: new MessageState({ backend: new StubStateBackend() })",
      );
    }
    const ttl = options.ttl ?? 86_400_000;
    if (!(typeof ttl === "number" && ttl > 0 && Number.isFinite(ttl))) {
      throw new InvalidArgument(
        `MessageState option ttl must be a number of ms > 0, got ${describeValue(ttl)}`,
      );
    }
    this.backend = options.backend;
    this.ttl = ttl;
    Object.defineProperty(this, STATE_BRAND, { value: true });
  }

  /** The state of a message, by id alone; undefined when none is known. */
  get(messageId: string): Promise<StateRecord | undefined> {
    return this.backend.get(messageId);
  }

  /** The states of several messages, in the order of the ids. */
  getMany(messageIds: readonly string[]): Promise<(StateRecord | undefined)[]> {
    return this.backend.getMany(messageIds);
  }

  /**
   * Resolve to the state once the message reaches one of `statuses`; reject with StateTimeout
   * after `timeout` ms (default 10 s).
   */
  waitFor(
    messageId: string,
    statuses: MessageStatus | readonly MessageStatus[],
    options?: WaitForStateOptions,
  ): Promise<StateRecord> {
    return this.backend.waitFor(messageId, statuses, options);
  }

  /** States newest first (by enqueue time), filtered (ANDed) and paged (default 50). */
  list(options?: StateListOptions): Promise<StateRecord[]> {
    return this.backend.list(options);
  }

  /** How many states match the filter. */
  count(filter?: StateFilter): Promise<number> {
    return this.backend.count(filter);
  }

  /** Record a progress report of a running message (see `setProgress`). */
  recordProgress(proxy: MessageProxy, progress: Progress): Promise<void> {
    return this.backend.write([
      {
        messageId: proxy.messageId,
        retries: retriesOf(proxy.options),
        changes: { progress },
        ttl: this.ttl,
      },
    ]);
  }

  /** Record that messages still pending were canceled (what `cancel()` does for them). */
  recordCanceled(states: readonly StateRecord[]): Promise<void> {
    const endedAt = Date.now();
    return this.backend.write(
      states.map((s) => ({
        messageId: s.messageId,
        status: "canceled" as const,
        retries: s.retries,
        changes: {
          endedAt,
          eta: null,
          error: { type: "Canceled", message: "Canceled before it started" },
        },
        ttl: this.ttl,
      })),
    );
  }

  /** The whole state of a message, for a backend that has none yet. */
  private initial(
    broker: Broker,
    message: Message,
    status: MessageStatus,
    enqueuedAt: number,
  ): StateRecord {
    const options = message.options;
    const state: StateRecord = {
      messageId: message.messageId,
      status,
      actorName: message.actorName,
      queueName: qName(message.queueName),
      args: [...message.args],
      kwargs: message.kwargs,
      options,
      priority: broker.findActor(message.actorName)?.priority ?? 0,
      retries: retriesOf(options),
      enqueuedAt,
    };
    if (typeof options.composition_id === "string") state.compositionId = options.composition_id;
    return state;
  }

  /** Fire and forget (the worker does not wait on state writes); a failure is logged once per outage. */
  private send(update: StateUpdate): void {
    this.backend.write([update]).then(
      () => {
        if (this.writeFailing) {
          this.writeFailing = false;
          log.info("Recording message states again.");
        }
      },
      (err: unknown) => {
        if (this.writeFailing) return;
        this.writeFailing = true;
        log.error(
          { err },
          `Could not record the state of message ${update.messageId} (${update.status ?? "progress"}); states lag until the backend is back.`,
        );
      },
    );
  }

  override async afterEnqueue(broker: Broker, message: Message): Promise<void> {
    // A due delayed message moving to its queue was sent already: its state stays.
    if (isPromotion(message)) return;
    const now = Date.now();
    const options = message.options;
    const eta = typeof options.eta === "number" ? options.eta : null;
    const changes: StateUpdate["changes"] = { eta, startedAt: null, endedAt: null, progress: null };
    const lastError = this.lastErrors.get(message.messageId);
    if (lastError !== undefined) changes.error = lastError;
    const initial = this.initial(broker, message, "pending", now);
    if (eta !== null) initial.eta = eta;
    try {
      await this.backend.write([
        {
          messageId: message.messageId,
          status: "pending",
          retries: retriesOf(options),
          changes,
          initial,
          ttl: this.ttl,
        },
      ]);
    } catch (err) {
      log.error({ err }, `Could not record the pending state of message ${message.messageId}.`);
    }
  }

  override beforeProcessMessage(broker: Broker, proxy: MessageProxy): void {
    (proxy as Tracked)[PROGRESS_OWNER] = this;
    const message = proxy.message;
    this.send({
      messageId: message.messageId,
      status: "started",
      retries: retriesOf(message.options),
      changes: { startedAt: Date.now(), endedAt: null, eta: null, error: null, progress: null },
      // A message no MessageState saw sent (Dramatiq's, or one whose state expired).
      initial: () => {
        const state = this.initial(broker, message, "started", message.messageTimestamp);
        state.startedAt = Date.now();
        return state;
      },
      ttl: this.ttl,
    });
  }

  override afterProcessMessage(
    broker: Broker,
    proxy: MessageProxy,
    outcome: AfterProcessOutcome,
  ): void {
    const tracked = proxy as Tracked;
    if ("exception" in outcome) {
      tracked[OUTCOME] = { kind: "error", error: outcome.exception };
      if (!proxy.failed && canceledBy(outcome.exception) === undefined) {
        this.lastErrors.set(proxy.messageId, describeError(outcome.exception));
      }
    } else {
      tracked[OUTCOME] = { kind: "success" };
    }
    // LocalBroker runs actors inline and settles nothing: the end is known now.
    if (broker instanceof LocalBroker)
      this.settled(broker, proxy, proxy.failed || "exception" in outcome);
  }

  override afterSkipMessage(broker: Broker, proxy: MessageProxy): void {
    (proxy as Tracked)[OUTCOME] = { kind: "skip", error: proxy.exception };
    if (broker instanceof LocalBroker) this.settled(broker, proxy, proxy.failed);
  }

  override beforeAck(broker: Broker, proxy: MessageProxy): void {
    this.settled(broker, proxy, false);
  }

  override beforeNack(broker: Broker, proxy: MessageProxy): void {
    this.settled(broker, proxy, true);
  }

  override async afterWorkerShutdown(): Promise<void> {
    try {
      await this.backend.flush();
    } catch (err) {
      log.error({ err }, "Could not record the last message states before shutdown.");
    }
  }

  /** The attempt is settled: write how it ended (nothing for one that is retried). */
  private settled(broker: Broker, proxy: MessageProxy, nacked: boolean): void {
    const tracked = proxy as Tracked;
    const outcome = tracked[OUTCOME];
    tracked[OUTCOME] = undefined;
    this.lastErrors.delete(proxy.messageId);
    let status: MessageStatus;
    let error: unknown;
    if (outcome?.kind === "skip") {
      const canceled = canceledBy(outcome.error);
      status = canceled !== undefined ? "canceled" : "skipped";
      error = canceled ?? outcome.error;
    } else if (nacked) {
      status = "failure";
      error = outcome?.kind === "error" ? outcome.error : (proxy.exception ?? proxy.handOffError);
    } else if (outcome?.kind === "success") {
      status = "success";
    } else if (outcome?.kind === "error" && canceledBy(outcome.error) !== undefined) {
      status = "canceled";
      error = canceledBy(outcome.error);
    } else {
      // Acked after an error: Retries scheduled a retry, whose pending state is written.
      return;
    }
    const message = proxy.message;
    const changes: StateUpdate["changes"] = { endedAt: Date.now(), eta: null };
    changes.error = error === undefined ? null : describeError(error);
    this.send({
      messageId: message.messageId,
      status,
      retries: retriesOf(message.options),
      changes,
      initial: () => this.initial(broker, message, status, message.messageTimestamp),
      ttl: this.ttl,
    });
  }
}
