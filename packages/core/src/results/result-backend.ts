import { createHash } from "node:crypto";
import type { Encoder } from "../encoder.js";
import { getEncoder } from "../encoder.js";
import { describeError } from "../error-text.js";
import { ResultFailure, ResultMissing, ResultTimeout } from "../errors.js";
import { qName } from "../queue-names.js";
import type { GetResultOptions, ResultReader } from "./types.js";

/** What a backend's `load` returns when nothing is stored under a key. */
export const Missing: unique symbol = Symbol("taskq.results.Missing");
/** What a backend's `load` returns: the decoded value, or Missing. */
export type Loaded = unknown | typeof Missing;

/** The fields of a message that name its result. */
export interface ResultKeyFields {
  /** The message's queue. */
  readonly queueName: string;
  /** The message's actor. */
  readonly actorName: string;
  /** The message's id. */
  readonly messageId: string;
}

/** Options every result backend accepts. */
export interface ResultBackendOptions {
  /** Prefix of every key. Default `taskq-results` (Dramatiq's is `dramatiq-results`). */
  namespace?: string;
  /** Defaults to the global encoder (JSON). */
  encoder?: Encoder;
}

/** Dramatiq's marker of a stored failure. */
const CANARY = "dramatiq.results.Result";
/** How long `getResult({ block: true })` waits by default, ms (10 s). */
export const DEFAULT_RESULT_TIMEOUT = 10_000;

/** The JSON Dramatiq stores for an actor's failure: `{ __t, exn: { type, msg } }`. */
export function wrapException(error: unknown): { __t: string; exn: { type: string; msg: string } } {
  const { type, message } = describeError(error);
  return { __t: CANARY, exn: { type, msg: message } };
}

/** A stored value, or a ResultFailure thrown for a stored failure. */
export function unwrapResult(value: unknown): unknown {
  if (typeof value === "object" && value !== null && (value as { __t?: unknown }).__t === CANARY) {
    const exn = (value as { exn?: { type?: unknown; msg?: unknown } }).exn ?? {};
    const type = String(exn.type ?? "Error");
    const msg = String(exn.msg ?? "");
    throw new ResultFailure(`actor raised ${type}: ${msg}`, type, msg);
  }
  return value;
}

/**
 * Base of result backends. Keys are Dramatiq's (md5 of `namespace:queue:actor:messageId`)
 * and stored values are Dramatiq's JSON, so a Python client reads what taskq stores.
 * Subclasses implement `load` and `store`, and may replace the polling `waitFor`.
 */
export abstract class ResultBackend implements ResultReader {
  /** Prefix of every key. */
  readonly namespace: string;
  /** Encodes stored values. */
  readonly encoder: Encoder;

  constructor(options: ResultBackendOptions = {}) {
    this.namespace = options.namespace ?? "taskq-results";
    this.encoder = options.encoder ?? getEncoder();
  }

  /**
   * The key a message's result is stored under: Dramatiq's md5 of
   * `namespace:queue:actor:messageId`.
   */
  buildMessageKey(message: ResultKeyFields): string {
    const key = `${this.namespace}:${qName(message.queueName)}:${message.actorName}:${message.messageId}`;
    return createHash("md5").update(key, "utf8").digest("hex");
  }

  /**
   * The result of a message. Without `block`, a missing result is ResultMissing; with it,
   * waits up to `timeout` ms (default 10 s), then ResultTimeout. A stored failure is
   * ResultFailure.
   */
  async getResult<R>(message: ResultKeyFields, options: GetResultOptions = {}): Promise<R> {
    const key = this.buildMessageKey(message);
    let value = await this.load(key);
    if (value === Missing) {
      if (!options.block)
        throw new ResultMissing(`No result stored for message ${message.messageId}`);
      const timeout = options.timeout ?? DEFAULT_RESULT_TIMEOUT;
      value = await this.waitFor(key, timeout);
      if (value === Missing) {
        throw new ResultTimeout(`No result for message ${message.messageId} within ${timeout} ms`);
      }
    }
    return unwrapResult(value) as R;
  }

  /** Store an actor's result for `ttl` ms. */
  storeResult(message: ResultKeyFields, result: unknown, ttl: number): Promise<void> {
    return this.store(this.buildMessageKey(message), result, ttl);
  }

  /**
   * Store an actor's failure (Dramatiq's JSON) for `ttl` ms; `getResult` then throws ResultFailure.
   */
  storeException(message: ResultKeyFields, error: unknown, ttl: number): Promise<void> {
    return this.store(this.buildMessageKey(message), wrapException(error), ttl);
  }

  /** The decoded value under `key`, or Missing. */
  protected abstract load(key: string): Promise<Loaded>;

  /** Store `value` (encoded by the subclass with `this.encoder`) for `ttl` ms. */
  protected abstract store(key: string, value: unknown, ttl: number): Promise<void>;

  /**
   * Wait for a value to appear under `key`. This default polls with backoff (100 ms,
   * doubling, at most 1 s between polls); backends that can wait on the server override it.
   */
  protected async waitFor(key: string, timeout: number): Promise<Loaded> {
    const deadline = Date.now() + timeout;
    let delay = 100;
    for (;;) {
      const left = deadline - Date.now();
      if (left <= 0) return Missing;
      await new Promise((r) => setTimeout(r, Math.min(delay, left)));
      const value = await this.load(key);
      if (value !== Missing) return value;
      delay = Math.min(delay * 2, 1000);
    }
  }

  /** Encode a value to store, with `encoder`. */
  protected encode(value: unknown): Uint8Array {
    return this.encoder.encode(value);
  }

  /** Decode a stored value, with `encoder`. */
  protected decode(data: Uint8Array | string): unknown {
    return this.encoder.decode(data);
  }
}
