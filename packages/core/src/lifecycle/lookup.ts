import type { Broker } from "../broker.js";
import type { Cancel } from "../cancel/cancel.js";
import { InvalidArgument } from "../errors.js";
import type { MessageProxy } from "../message-proxy.js";
import type { MessageState } from "../state/message-state.js";
import type { Progress } from "../state/types.js";

// Brands rather than classes: the message, composition and CLI code that looks these
// middleware up must not import them (they import the brokers, which import Message), and
// Symbol.for lets the ESM and CJS builds of core recognise each other's instances.
export const STATE_BRAND: unique symbol = Symbol.for("@taskq/core.MessageState");
export const CANCEL_BRAND: unique symbol = Symbol.for("@taskq/core.Cancel");
/** On a message proxy while its actor runs: who records its progress. */
export const PROGRESS_OWNER: unique symbol = Symbol.for("@taskq/core.progressOwner");

/** What `setProgress` needs from the MessageState that started a message. */
export interface ProgressRecorder {
  recordProgress(proxy: MessageProxy, progress: Progress): Promise<void>;
}

function find<T>(broker: Broker, brand: symbol): T | undefined {
  return broker.middleware.find((m) => (m as unknown as Record<symbol, unknown>)[brand] === true) as
    | T
    | undefined;
}

/** The broker's MessageState middleware, if it has one. */
export function peekStates(broker: Broker): MessageState | undefined {
  return find<MessageState>(broker, STATE_BRAND);
}

/** The broker's MessageState middleware; an InvalidArgument saying how to add one otherwise. */
export function findStates(broker: Broker): MessageState {
  const states = peekStates(broker);
  if (states === undefined) {
    throw new InvalidArgument(
      "This broker has no MessageState middleware: broker.addMiddleware(new MessageState({ backend }))",
    );
  }
  return states;
}

/** The broker's Cancel middleware; an InvalidArgument saying how to add one otherwise. */
export function findCancel(broker: Broker): Cancel {
  const cancel = find<Cancel>(broker, CANCEL_BRAND);
  if (cancel === undefined) {
    throw new InvalidArgument(
      "This broker has no Cancel middleware: broker.addMiddleware(new Cancel({ backend }))",
    );
  }
  return cancel;
}
