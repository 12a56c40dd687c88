import type { Broker } from "../broker.js";
import { closeResource } from "../closable.js";
import type { TargetData } from "../composition/linking.js";
import { continueWith } from "../composition/linking.js";
import { getEncoder } from "../encoder.js";
import { DecodeError } from "../errors.js";
import { lazyLogger } from "../logger.js";
import type { MessageData } from "../message.js";
import { Message } from "../message.js";
import type { MessageProxy } from "../message-proxy.js";
import { Barrier } from "../rate-limits/barrier.js";
import type { RateLimiterBackend } from "../rate-limits/rate-limiter-backend.js";
import { renderBounded } from "../render.js";
import { handOff } from "./hand-off.js";
import type { AfterProcessOutcome } from "./middleware.js";
import { Middleware } from "./middleware.js";

const log = lazyLogger("taskq.middleware.GroupCallbacks");

/** Options of `new GroupCallbacks()`. */
export interface GroupCallbacksOptions {
  /** How long a group's barrier lives, ms. Default 1 day. */
  barrierTtl?: number;
  /** How long the last member waits for the others' stored results, ms. Default 10 s. */
  resultTimeout?: number;
}

/**
 * Runs what waits for a group once its last member succeeds: its completion callbacks, and,
 * for a group inside a pipeline, the next step with the list of the members' results in
 * group order. Members count down a Barrier on the rate limiter backend.
 */
export class GroupCallbacks extends Middleware {
  /** Where group barriers are kept; shared by every worker of the groups. */
  readonly rateLimiterBackend: RateLimiterBackend;
  /** How long a group's barrier lives, ms. */
  readonly barrierTtl: number;
  /** How long the last member waits for the others' stored results, ms. */
  readonly resultTimeout: number;

  constructor(rateLimiterBackend: RateLimiterBackend, options: GroupCallbacksOptions = {}) {
    super();
    this.rateLimiterBackend = rateLimiterBackend;
    this.barrierTtl = options.barrierTtl ?? 86_400_000;
    this.resultTimeout = options.resultTimeout ?? 10_000;
  }

  /** The barrier counting down the members of group `groupId`. */
  barrier(groupId: string): Barrier {
    return new Barrier(this.rateLimiterBackend, groupId, { ttl: this.barrierTtl });
  }

  /** The broker was closed: close the backend's own connections (a client you gave it stays open). */
  override afterBrokerClose(): Promise<void> {
    return closeResource(this.rateLimiterBackend);
  }

  override afterProcessMessage(
    broker: Broker,
    message: MessageProxy,
    outcome: AfterProcessOutcome,
  ): void | Promise<void> {
    if ("exception" in outcome || message.failed) return;
    const { options } = message;
    const groupId = options.group_completion_uuid;
    if (typeof groupId !== "string") return;
    const callbacks = options.group_completion_callbacks as MessageData[] | undefined | null;
    const then = options.group_then as TargetData | undefined | null;
    if (callbacks == null && then == null) return;
    return handOff(message, "what waits for its group", log, async () => {
      // Options from the wire: malformed ones dead-letter the message with the reason.
      if (callbacks != null && !Array.isArray(callbacks)) {
        throw new DecodeError(
          "malformed group_completion_callbacks: not an array",
          renderBounded(callbacks),
        );
      }
      if (!(await this.barrier(groupId).wait({ block: false }))) return;
      for (const callback of callbacks ?? []) await broker.enqueue(Message.fromDict(callback));
      if (then != null) {
        const results = await this.collect(broker, message, outcome.result);
        await continueWith(broker, then, results);
      }
    });
  }

  /** The members' results in group order; this member's own comes from its outcome. */
  private collect(broker: Broker, message: MessageProxy, own: unknown): Promise<unknown[]> {
    const members = message.options.group_members as [string, string, string][];
    if (
      !Array.isArray(members) ||
      !members.every(
        (m) => Array.isArray(m) && m.length === 3 && m.every((x) => typeof x === "string"),
      )
    ) {
      throw new DecodeError(
        "malformed group_members: not a list of [queue, actor, message id]",
        renderBounded(members),
      );
    }
    const backend = broker.getResultsBackend();
    const encoder = getEncoder();
    return Promise.all(
      members.map(([queueName, actorName, messageId]) =>
        messageId === message.messageId
          ? encoder.decode(encoder.encode(own))
          : backend.getResult(new Message({ queueName, actorName, args: [], messageId }), {
              block: true,
              timeout: this.resultTimeout,
            }),
      ),
    );
  }
}
