import type { Broker } from "../broker.js";
import { getBroker } from "../global.js";
import { findCancel, peekStates } from "../lifecycle/lookup.js";
import { isFinished } from "../state/state-backend.js";
import type { MessageStatus, StateRecord } from "../state/types.js";
import { CancelBackend } from "./cancel-backend.js";

/** What a cancel did for one message. */
export interface CancelOutcome {
  /** The message (or composition) id the cancel was asked for. */
  messageId: string;
  /**
   * `canceled`: the cancel is recorded (a message not started will be skipped, a running one
   * interrupted); `finished`: it had already ended, nothing was done.
   */
  outcome: "canceled" | "finished";
  /** Its status when canceled, as MessageState knew it (undefined without one, or unknown). */
  status?: MessageStatus;
}

/** Options of `cancel(ids, options)`. */
export interface CancelCallOptions {
  /** Defaults to the global broker; it needs the Cancel middleware. */
  broker?: Broker;
}

/**
 * Cancel messages by id. Resolves once the cancels are recorded, to what was done for each,
 * in order: with the broker's MessageState, a message that has ended is left alone and says
 * so, and one still pending is recorded canceled at once.
 */
export function cancel(
  messageIds: readonly string[],
  options: CancelCallOptions = {},
): Promise<CancelOutcome[]> {
  try {
    const ids = CancelBackend.checkIds(messageIds);
    return cancelMessages(options.broker ?? getBroker(), ids, []);
  } catch (err) {
    return Promise.reject(err);
  }
}

/** Cancel messages, and whole compositions by their ids (what `group.cancel()` does). */
export async function cancelMessages(
  broker: Broker,
  messageIds: readonly string[],
  compositionIds: readonly string[],
): Promise<CancelOutcome[]> {
  const middleware = findCancel(broker);
  const states = peekStates(broker);
  const known: (StateRecord | undefined)[] =
    states === undefined ? messageIds.map(() => undefined) : await states.getMany(messageIds);
  const outcomes: CancelOutcome[] = [];
  const marks = [...compositionIds];
  const pending: StateRecord[] = [];
  messageIds.forEach((messageId, i) => {
    const state = known[i];
    const status = state?.status;
    if (state !== undefined && isFinished(state.status)) {
      outcomes.push({ messageId, outcome: "finished", status });
      return;
    }
    marks.push(messageId);
    if (state?.status === "pending") pending.push(state);
    outcomes.push(
      status === undefined
        ? { messageId, outcome: "canceled" }
        : { messageId, outcome: "canceled", status },
    );
  });
  if (marks.length > 0) await middleware.backend.cancel(marks);
  if (states !== undefined && pending.length > 0) await states.recordCanceled(pending);
  return outcomes;
}
