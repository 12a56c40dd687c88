import type { DeadLetterInfo } from "@taskq/core";
import { Message } from "@taskq/core";
import type { GetMessage } from "amqplib";

/**
 * Most dead letters one listing, requeue-by-id or purge-by-id reads. RabbitMQ only hands out
 * a queue's messages in order, so each of those holds what it read (unacked) until it is done:
 * a listing needs `offset + limit` at most this, and ids further in are not found.
 */
export const DEAD_LETTER_SCAN_LIMIT = 10_000;

/** When the message was dead-lettered: the newest `x-death` entry's `time` (seconds). */
function deathTime(got: GetMessage): number | undefined {
  const deaths = got.properties.headers?.["x-death"] as unknown;
  if (!Array.isArray(deaths) || deaths.length === 0) return undefined;
  const time = (deaths[0] as { time?: unknown }).time;
  const seconds =
    typeof time === "number"
      ? time
      : typeof (time as { value?: unknown } | undefined)?.value === "number"
        ? (time as { value: number }).value
        : undefined;
  return seconds === undefined ? undefined : seconds * 1000;
}

/** A fetched dead letter as operators see it; undecodable ones shown raw. */
export function deadLetterInfo(got: GetMessage): DeadLetterInfo {
  let message: Message | null = null;
  try {
    message = Message.decode(got.content);
  } catch {
    // Shown raw: it died because it does not decode.
  }
  const info: DeadLetterInfo = {
    id: String(got.fields.deliveryTag),
    message,
    data: got.content.toString("utf8"),
  };
  const failedAt = deathTime(got);
  if (failedAt !== undefined) info.failedAt = failedAt;
  return info;
}
