import { InvalidArgument } from "../errors.js";
import { describeValue } from "../validate.js";

/** Seven days: as long as the longest retry backoff, so a mark outlives any wait in a queue. */
export const DEFAULT_CANCEL_TTL = 7 * 24 * 3600 * 1000;

/** What a backend calls when cancels happen, in any process. */
export interface CancelListener {
  /** These ids (message or composition ids) were just canceled. */
  onCancel(ids: string[]): void;
  /**
   * Notices may have been missed (the connection was lost for a while): look again at the
   * marks of whatever is held or running.
   */
  onGap?(): void;
}

/** A subscription to cancel notices; `close()` ends it. */
export interface CancelSubscription {
  /** End the subscription; resolves once unsubscribed. */
  close(): Promise<void>;
}

/** Options every cancel backend takes. */
export interface CancelBackendOptions {
  /** How long a cancel mark is kept, ms. Default 7 days. */
  ttl?: number;
}

/**
 * Where cancels are kept: a mark per canceled id (a message id, or a group or pipeline's
 * composition id) that expires after `ttl`, and a notice to every subscribed worker so a
 * running message is interrupted at once.
 */
export abstract class CancelBackend {
  /** How long a mark is kept, ms. */
  readonly ttl: number;

  constructor(options: CancelBackendOptions = {}) {
    const ttl = options.ttl ?? DEFAULT_CANCEL_TTL;
    if (!(typeof ttl === "number" && ttl > 0 && Number.isFinite(ttl))) {
      throw new InvalidArgument(
        `${new.target.name} option ttl must be a number of ms > 0, got ${describeValue(ttl)}`,
      );
    }
    this.ttl = ttl;
  }

  /** Mark ids canceled and notify the subscribers; resolves once the marks are stored. */
  abstract cancel(ids: readonly string[]): Promise<void>;

  /** For each id, whether it carries a mark younger than `ttl`. */
  abstract areCanceled(ids: readonly string[]): Promise<boolean[]>;

  /** Hear of every cancel, from any process, until the subscription is closed. */
  abstract subscribe(listener: CancelListener): Promise<CancelSubscription>;

  /** Release connections. */
  async close(): Promise<void> {}

  /** The ids as given, checked: non-empty strings. */
  static checkIds(ids: unknown): string[] {
    if (!Array.isArray(ids) || !ids.every((id) => typeof id === "string" && id.length > 0)) {
      throw new InvalidArgument(
        `Message ids must be an array of non-empty strings, got ${describeValue(ids)}`,
      );
    }
    return ids as string[];
  }
}
