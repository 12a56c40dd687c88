import { randomUUID } from "node:crypto";
import type { Broker } from "./broker.js";
import type { CancelOutcome } from "./cancel/api.js";
import { cancelMessages } from "./cancel/api.js";
import { getEncoder } from "./encoder.js";
import { describeError } from "./error-text.js";
import { DecodeError } from "./errors.js";
import { getBroker } from "./global.js";
import { findStates } from "./lifecycle/lookup.js";
import { setOwn } from "./own.js";
import { DEFAULT_RENDER_LIMIT, renderBounded } from "./render.js";
import { assertResultStored } from "./results/stored-check.js";
import type { GetResultOptions, ResultReader } from "./results/types.js";
import type { MessageStatus, StateRecord } from "./state/types.js";

/** Which broker a message's lifecycle calls go through. */
export interface MessageBrokerOption {
  /** Defaults to the global broker. */
  broker?: Broker;
}

/** A message as it travels: Dramatiq's field names, in Dramatiq's order. */
export interface MessageData {
  /** The queue the message is on (`<queue>.DQ` for a delayed message). */
  queue_name: string;
  /** The actor to run. */
  actor_name: string;
  /** Positional arguments. */
  args: unknown[];
  /** Keyword arguments (from Python producers); `{}` when none. */
  kwargs: Record<string, unknown>;
  /** Wire options (snake_case), read by brokers and middleware. */
  options: Record<string, unknown>;
  /** The message's id (a UUID). */
  message_id: string;
  /** Epoch ms of the first enqueue. */
  message_timestamp: number;
}

/** What `new Message()` takes; the missing fields get defaults. */
export interface MessageFields {
  /** The queue to put the message on. */
  queueName: string;
  /** The actor to run. */
  actorName: string;
  /** Positional arguments. */
  args: readonly unknown[];
  /** Keyword arguments, for Python actors. Default `{}`. */
  kwargs?: Record<string, unknown>;
  /** Wire options (snake_case). Default `{}`. */
  options?: Record<string, unknown>;
  /** Default: a new UUID. */
  messageId?: string;
  /** Epoch ms. Default: now. */
  messageTimestamp?: number;
}

/** What `message.copy()` changes; fields left out keep their value. */
export interface MessageChanges {
  /** A new queue. */
  queueName?: string;
  /** A new actor. */
  actorName?: string;
  /** New positional arguments. */
  args?: readonly unknown[];
  /** New keyword arguments. */
  kwargs?: Record<string, unknown>;
  /** Merged into the existing options; a key set to undefined is removed. */
  options?: Record<string, unknown>;
  /** A new id. */
  messageId?: string;
  /** A new timestamp, epoch ms. */
  messageTimestamp?: number;
}

function isPlainRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** Key of Message's type-only record of its pending parameters. */
declare const pending: unique symbol;

/**
 * A request to run an actor. `R` is the actor's return type, so `getResult()` is typed.
 * `Pending`, for a message built with `actor.message(...)`, is the parameters it still
 * lacks: in a pipeline the previous step's result fills them, and `pipeline()` checks that
 * it fits (`unknown[]`: not checked). Deliberately has no `then`: awaiting `actor.send()`
 * yields the Message itself.
 */
export class Message<R = unknown, Pending extends unknown[] = unknown[]> {
  /** Type-only: never set, it lets `pipeline()` read `Pending`. */
  declare readonly [pending]?: Pending;
  /** The queue the message goes to (a delay queue while delayed). */
  readonly queueName: string;
  /** The actor to run. */
  readonly actorName: string;
  /** Positional arguments. */
  readonly args: readonly unknown[];
  /** Keyword arguments, from Python producers; `{}` when none. */
  readonly kwargs: Record<string, unknown>;
  /** Wire options (snake_case), read by brokers and middleware. */
  readonly options: Record<string, unknown>;
  /** The message's id (a UUID unless given). */
  readonly messageId: string;
  /** Epoch ms of the first enqueue; retries and delays keep it. */
  readonly messageTimestamp: number;

  constructor(fields: MessageFields) {
    this.queueName = fields.queueName;
    this.actorName = fields.actorName;
    this.args = fields.args;
    this.kwargs = fields.kwargs ?? {};
    this.options = fields.options ?? {};
    this.messageId = fields.messageId ?? randomUUID();
    this.messageTimestamp = fields.messageTimestamp ?? Date.now();
  }

  /** Builds a Message from its wire form, checking every field. */
  static fromDict(data: unknown, raw: Uint8Array | string = ""): Message {
    if (!isPlainRecord(data)) throw new DecodeError("undecodable message: not a JSON object", raw);
    const { queue_name, actor_name, args, kwargs, options, message_id, message_timestamp } = data;
    let bad: string | undefined;
    if (typeof queue_name !== "string") bad = "queue_name is not a string";
    else if (typeof actor_name !== "string") bad = "actor_name is not a string";
    else if (!Array.isArray(args)) bad = "args is not an array";
    else if (kwargs !== undefined && kwargs !== null && !isPlainRecord(kwargs))
      bad = "kwargs is not an object";
    else if (options !== undefined && options !== null && !isPlainRecord(options))
      bad = "options is not an object";
    else if (typeof message_id !== "string") bad = "message_id is not a string";
    else if (typeof message_timestamp !== "number") bad = "message_timestamp is not a number";
    if (bad !== undefined) throw new DecodeError(`undecodable message: ${bad}`, raw);
    return new Message({
      queueName: queue_name as string,
      actorName: actor_name as string,
      args: args as unknown[],
      kwargs: (kwargs as Record<string, unknown> | null) ?? {},
      options: (options as Record<string, unknown> | null) ?? {},
      messageId: message_id as string,
      messageTimestamp: message_timestamp as number,
    });
  }

  /** Decodes bytes with the current encoder; anything malformed is a DecodeError. */
  static decode(data: Uint8Array | string): Message {
    let parsed: unknown;
    try {
      parsed = getEncoder().decode(data);
    } catch (err) {
      if (err instanceof DecodeError) throw err;
      throw new DecodeError(`undecodable message: ${describeError(err).message}`, data, err);
    }
    return Message.fromDict(parsed, data);
  }

  /** The message in its wire form, encoded with the current encoder. */
  encode(): Uint8Array {
    return getEncoder().encode(this.asDict());
  }

  /** The encoded message as text when the encoder produces text (JSON does), else bytes. */
  encodeForText(): string | Uint8Array {
    const encoder = getEncoder();
    const dict = this.asDict();
    return encoder.encodeText ? encoder.encodeText(dict) : encoder.encode(dict);
  }

  /** The message in its wire form (Dramatiq's field names), as plain data. */
  asDict(): MessageData {
    return {
      queue_name: this.queueName,
      actor_name: this.actorName,
      args: this.args as unknown[],
      kwargs: this.kwargs,
      options: this.options,
      message_id: this.messageId,
      message_timestamp: this.messageTimestamp,
    };
  }

  /** A new message with some fields changed; options are merged, as Dramatiq does. */
  copy(changes: MessageChanges = {}): Message<R> {
    let options = this.options;
    if (changes.options !== undefined) {
      options = { ...this.options };
      for (const key of Object.keys(changes.options)) {
        const value = changes.options[key];
        if (value === undefined) delete options[key];
        else setOwn(options, key, value);
      }
    }
    return new Message<R>({
      queueName: changes.queueName ?? this.queueName,
      actorName: changes.actorName ?? this.actorName,
      args: changes.args ?? this.args,
      kwargs: changes.kwargs ?? this.kwargs,
      options,
      messageId: changes.messageId ?? this.messageId,
      messageTimestamp: changes.messageTimestamp ?? this.messageTimestamp,
    });
  }

  /**
   * The actor's stored result (needs the Results middleware). Without `backend`, uses the
   * global broker's result backend, and fails at once with InvalidArgument when the
   * message's actor there does not store results (`storeResults`).
   */
  getResult(options: GetResultOptions & { backend?: ResultReader } = {}): Promise<R> {
    try {
      let backend = options.backend;
      if (backend === undefined) {
        const broker = getBroker();
        backend = broker.getResultsBackend();
        assertResultStored(broker, this);
      }
      return backend.getResult(this, options);
    } catch (err) {
      return Promise.reject(err);
    }
  }

  /**
   * This message's state, through the broker's MessageState middleware (the global broker's
   * unless `broker` is given); undefined when none is recorded.
   */
  getState(options: MessageBrokerOption = {}): Promise<StateRecord | undefined> {
    try {
      return findStates(options.broker ?? getBroker()).get(this.messageId);
    } catch (err) {
      return Promise.reject(err);
    }
  }

  /**
   * Resolve to this message's state once it reaches `status` (or one of several); reject with
   * StateTimeout after `timeout` ms (default 10 s). Needs the broker's MessageState.
   */
  waitFor(
    status: MessageStatus | readonly MessageStatus[],
    options: MessageBrokerOption & { timeout?: number } = {},
  ): Promise<StateRecord> {
    try {
      return findStates(options.broker ?? getBroker()).waitFor(this.messageId, status, {
        timeout: options.timeout,
      });
    } catch (err) {
      return Promise.reject(err);
    }
  }

  /**
   * Cancel this message (needs the broker's Cancel middleware): skipped if it has not started,
   * interrupted if it runs. Resolves once recorded, saying whether it had already finished.
   */
  async cancel(options: MessageBrokerOption = {}): Promise<CancelOutcome> {
    const [outcome] = await cancelMessages(options.broker ?? getBroker(), [this.messageId], []);
    return outcome!;
  }

  /**
   * The arguments to call the actor with: `args`, plus the keyword arguments of a Python
   * producer as one trailing object when there are any.
   */
  callArguments(): readonly unknown[] {
    // A for-in over an (almost always) empty object: no key array per message.
    for (const _ in this.kwargs) return [...this.args, this.kwargs];
    return this.args;
  }

  /**
   * `actorName(arg1, arg2)`, as log lines show it: args and kwargs rendered within about
   * `limit` characters each (default 1 KB), and never throwing, whatever they hold.
   */
  toString(limit = DEFAULT_RENDER_LIMIT): string {
    const shown = renderBounded(this.args, limit);
    // Drop the array's brackets: `f(1, 2)` reads as a call (a cut rendering has no closing one).
    const args = shown.startsWith("[")
      ? shown.slice(1, shown.endsWith("]") ? -1 : undefined)
      : shown;
    let kw = "";
    for (const _ in this.kwargs) {
      kw = `, **${renderBounded(this.kwargs, limit)}`;
      break;
    }
    return `${renderBounded(this.actorName, 200).replace(/^"|"$/g, "")}(${args}${kw})`;
  }
}
