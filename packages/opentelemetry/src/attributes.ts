import { renderBounded } from "@taskq/core";

/**
 * Attribute names, from the OpenTelemetry messaging semantic conventions; the
 * `messaging.taskq.*` ones are taskq's own, in the namespace the conventions leave to each
 * system.
 */
export const ATTR = {
  system: "messaging.system",
  operationType: "messaging.operation.type",
  operationName: "messaging.operation.name",
  destination: "messaging.destination.name",
  messageId: "messaging.message.id",
  actorName: "messaging.taskq.message.actor_name",
  retries: "messaging.taskq.message.retries",
  delay: "messaging.taskq.message.delay",
  skipped: "messaging.taskq.message.skipped",
  errorType: "error.type",
} as const;

export const SYSTEM = "taskq";

/** Longest status message kept from an error (the exception event has the rest). */
const MESSAGE_LIMIT = 1000;

/**
 * The type and message of whatever an actor threw, for `error.type` and the span status.
 * Never throws, whatever was thrown (a Proxy, an object with throwing getters).
 */
export function describeThrown(error: unknown): { type: string; message: string } {
  try {
    if (error instanceof Error) {
      const name = typeof error.name === "string" && error.name !== "" ? error.name : "Error";
      const message = typeof error.message === "string" ? error.message : "";
      return { type: name, message: message.slice(0, MESSAGE_LIMIT) };
    }
  } catch {
    // fall through to the bounded rendering
  }
  // The conventions' fallback type for a thrown value that is no error class.
  return { type: "_OTHER", message: renderBounded(error, MESSAGE_LIMIT) };
}
