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
import type { Settlement, SettleWatcher } from "../worker/settle-watch.js";
import { watchSettlement } from "../worker/settle-watch.js";
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
import { WriteBuffer } from "./write-buffer.js";

const log = lazyLogger("taskq.middleware.MessageState");

/** Options of `new MessageState({ backend, ttl })`. */
export interface MessageStateOptions {
  /** Where states are kept: a StubStateBackend, a RedisStateBackend... */
  backend: StateBackend;
  /** How long a state lives after its last write, ms. Default 1 day. */
  ttl?: number;
}

/** How an attempt ended, as the after hooks saw it; written once the worker settles it. */
type Outcome =
  | { kind: "success"; broker: Broker }
  | { kind: "error"; error: unknown; broker: Broker }
  | { kind: "skip"; error: unknown; broker: Broker }
  /** An actor this broker does not declare: the worker dead-letters it. */
  | { kind: "unknown"; broker: Broker };

const OUTCOME = Symbol("taskq.messageState.outcome");
/** The started transition of a message, while it may still be turned into its end. */
const STARTED = Symbol("taskq.messageState.started");
type Tracked = MessageProxy & {
  [OUTCOME]?: Outcome;
  [STARTED]?: StateUpdate;
  [PROGRESS_OWNER]?: ProgressRecorder;
};

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
export class MessageState extends Middleware implements ProgressRecorder, SettleWatcher {
  /** Where states are kept. */
  readonly backend: StateBackend;
  /** How long a state lives after its last write, ms. */
  readonly ttl: number;
  /** The error of an attempt that Retries may retry: the retry's pending state says why. */
  private readonly lastErrors = new Map<string, StateError>();
  private readonly writes: WriteBuffer;

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
    this.writes = new WriteBuffer(this.backend);
    Object.defineProperty(this, STATE_BRAND, { value: true });
  }

  // Readers first let this process's own transitions land: a state read after `join()`
  // says what the worker did.

  /** The state of a message, by id alone; undefined when none is known. */
  async get(messageId: string): Promise<StateRecord | undefined> {
    await this.writes.settled();
    return this.backend.get(messageId);
  }

  /** The states of several messages, in the order of the ids. */
  async getMany(messageIds: readonly string[]): Promise<(StateRecord | undefined)[]> {
    await this.writes.settled();
    return this.backend.getMany(messageIds);
  }

  /**
   * Resolve to the state once the message reaches one of `statuses`; reject with StateTimeout
   * after `timeout` ms (default 10 s).
   */
  async waitFor(
    messageId: string,
    statuses: MessageStatus | readonly MessageStatus[],
    options?: WaitForStateOptions,
  ): Promise<StateRecord> {
    await this.writes.settled();
    return this.backend.waitFor(messageId, statuses, options);
  }

  /** States newest first (by enqueue time), filtered (ANDed) and paged (default 50). */
  async list(options?: StateListOptions): Promise<StateRecord[]> {
    await this.writes.settled();
    return this.backend.list(options);
  }

  /** How many states match the filter. */
  async count(filter?: StateFilter): Promise<number> {
    await this.writes.settled();
    return this.backend.count(filter);
  }

  /** Record a progress report of a running message (see `setProgress`). */
  recordProgress(proxy: MessageProxy, progress: Progress): Promise<void> {
    return this.writes.add({
      messageId: proxy.messageId,
      retries: retriesOf(proxy.options),
      changes: { progress },
      ttl: this.ttl,
    });
  }

  /** Record that messages still pending were canceled (what `cancel()` does for them). */
  recordCanceled(states: readonly StateRecord[]): Promise<void> {
    const endedAt = Date.now();
    let written: Promise<void> = Promise.resolve();
    for (const s of states) {
      written = this.writes.add({
        messageId: s.messageId,
        status: "canceled",
        retries: s.retries,
        changes: {
          endedAt,
          eta: null,
          error: { type: "Canceled", message: "Canceled before it started" },
        },
        ttl: this.ttl,
      });
    }
    return written;
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

  override async afterEnqueue(broker: Broker, message: Message): Promise<void> {
    // A due delayed message moving to its queue was sent already: its state stays.
    if (isPromotion(message)) return;
    const now = Date.now();
    const options = message.options;
    const retries = retriesOf(options);
    const eta = typeof options.eta === "number" ? options.eta : undefined;
    // Only what may be there to change: a first send creates the state whole.
    const changes: StateUpdate["changes"] = {};
    if (eta !== undefined) changes.eta = eta;
    if (retries > 0) {
      // A retry: the last attempt's times and progress go; why it failed stays.
      changes.startedAt = null;
      changes.endedAt = null;
      changes.progress = null;
      if (eta === undefined) changes.eta = null;
      const lastError = this.lastErrors.get(message.messageId);
      if (lastError !== undefined) changes.error = lastError;
    }
    const initial = this.initial(broker, message, "pending", now);
    if (eta !== undefined) initial.eta = eta;
    try {
      await this.writes.add({
        messageId: message.messageId,
        status: "pending",
        retries,
        changes,
        initial,
        ttl: this.ttl,
      });
    } catch {
      // Logged by the buffer; the message is sent all the same.
    }
  }

  override beforeProcessMessage(broker: Broker, proxy: MessageProxy): void {
    (proxy as Tracked)[PROGRESS_OWNER] = this;
    const message = proxy.message;
    const retries = retriesOf(message.options);
    // Only what may be there to clear: an eta if it was delayed, a retry's error and the
    // progress of an earlier attempt.
    const changes: StateUpdate["changes"] = { startedAt: Date.now() };
    if (message.options.eta !== undefined) changes.eta = null;
    if (retries > 0) {
      changes.error = null;
      changes.progress = null;
    }
    const started: StateUpdate = {
      messageId: message.messageId,
      status: "started",
      retries,
      changes,
      // A message no MessageState saw sent (Dramatiq's, or one whose state expired).
      initial: () => {
        const state = this.initial(broker, message, "started", message.messageTimestamp);
        state.startedAt = Date.now();
        return state;
      },
      ttl: this.ttl,
    };
    (proxy as Tracked)[STARTED] = started;
    void this.writes.add(started, false);
  }

  override afterReceiveMessages(broker: Broker, messages: readonly MessageProxy[]): void {
    // The last batch's transitions go now: Redis has just served this fetch, and the next
    // one comes only once the worker has worked through part of this batch.
    this.writes.flush();
    for (const proxy of messages) {
      if (broker.findActor(proxy.actorName) !== undefined) continue;
      (proxy as Tracked)[OUTCOME] = { kind: "unknown", broker };
      watchSettlement(proxy, this);
    }
  }

  override afterProcessMessage(
    broker: Broker,
    proxy: MessageProxy,
    outcome: AfterProcessOutcome,
  ): void | Promise<void> {
    const tracked = proxy as Tracked;
    if ("exception" in outcome) {
      tracked[OUTCOME] = { kind: "error", error: outcome.exception, broker };
      if (!proxy.failed && canceledBy(outcome.exception) === undefined) {
        this.lastErrors.set(proxy.messageId, describeError(outcome.exception));
      }
    } else {
      tracked[OUTCOME] = { kind: "success", broker };
    }
    // LocalBroker runs actors inline and settles nothing: the end is known now.
    if (broker instanceof LocalBroker) {
      return this.settled(proxy, proxy.failed || "exception" in outcome);
    }
    watchSettlement(proxy, this);
  }

  override afterSkipMessage(broker: Broker, proxy: MessageProxy): void | Promise<void> {
    (proxy as Tracked)[OUTCOME] = { kind: "skip", error: proxy.exception, broker };
    if (broker instanceof LocalBroker) return this.settled(proxy, proxy.failed);
    watchSettlement(proxy, this);
  }

  /** SettleWatcher: the worker settles a message (its outcome is final now). */
  messageSettled(proxy: MessageProxy, how: Settlement): void {
    if (how === "requeue") {
      // Given back: it runs again, and that run says how it ends.
      (proxy as Tracked)[OUTCOME] = undefined;
      return;
    }
    void this.settled(proxy, how === "nack");
  }

  override async afterWorkerShutdown(): Promise<void> {
    await this.writes.settled();
    try {
      await this.backend.flush();
    } catch (err) {
      log.error({ err }, "Could not record the last message states before shutdown.");
    }
  }

  /**
   * The attempt is settled: write how it ended (nothing for one that is retried). The promise
   * settles with the write; the worker does not wait for it.
   */
  private settled(proxy: MessageProxy, nacked: boolean): Promise<void> | undefined {
    const tracked = proxy as Tracked;
    const outcome = tracked[OUTCOME];
    if (outcome === undefined) return undefined;
    const broker = outcome.broker;
    const started = tracked[STARTED];
    tracked[OUTCOME] = undefined;
    tracked[STARTED] = undefined;
    this.lastErrors.delete(proxy.messageId);
    let status: MessageStatus;
    let error: unknown;
    if (outcome.kind === "skip") {
      const canceled = canceledBy(outcome.error);
      status = canceled !== undefined ? "canceled" : "skipped";
      error = canceled ?? outcome.error;
    } else if (nacked) {
      status = "failure";
      error = outcome.kind === "error" ? outcome.error : (proxy.exception ?? proxy.handOffError);
    } else if (outcome.kind === "success") {
      status = "success";
    } else if (outcome.kind === "error" && canceledBy(outcome.error) !== undefined) {
      status = "canceled";
      error = canceledBy(outcome.error);
    } else {
      // Acked after an error: Retries scheduled a retry, whose pending state is written.
      return undefined;
    }
    const message = proxy.message;
    const changes: StateUpdate["changes"] = { endedAt: Date.now() };
    if (message.options.eta !== undefined) changes.eta = null;
    if (error !== undefined) changes.error = describeError(error);
    else if (retriesOf(message.options) > 0) changes.error = null;
    if (started !== undefined && this.writes.holds(started)) {
      // Its start has not been written yet: write its end in its place.
      started.status = status;
      Object.assign(started.changes, changes);
      if (broker instanceof LocalBroker) this.writes.soon();
      return this.writes.written();
    }
    return this.writes.add(
      {
        messageId: message.messageId,
        status,
        retries: retriesOf(message.options),
        changes,
        initial: () => this.initial(broker, message, status, message.messageTimestamp),
        ttl: this.ttl,
      },
      broker instanceof LocalBroker,
    );
  }
}
