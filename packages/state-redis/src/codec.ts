import type { StateRecord } from "@taskq/core";
import { InvalidArgument } from "@taskq/core";

// How a state sits in Redis (see lua/common.lua): by column, numbers as decimal text, the
// structured fields as JSON, the parts of a transition separated by NUL and transitions by
// \x01 (JSON text never holds either raw).

const JSON_FIELDS = new Set(["args", "kwargs", "options", "progress", "error"]);

/** A field's stored text; '' removes the field (what `null` means in changes). */
export function encodeField(field: string, value: unknown): string {
  if (value === null) return "";
  if (JSON_FIELDS.has(field)) return JSON.stringify(value);
  return String(value);
}

/** A name that goes into a transition as it is: it must not hold the separators. */
export function plain(what: string, value: string): string {
  if (value.includes("\0") || value.includes("\x01")) {
    throw new InvalidArgument(
      `RedisStateBackend cannot store a ${what} holding a NUL or \\x01 character: ${JSON.stringify(value.slice(0, 80))}`,
    );
  }
  return value;
}

const COLUMN_FIELDS = ["eta", "error", "progress"] as const;

/**
 * A state from its five read columns: st (`status:retries:enqueuedAt:expiresAt:startedAt:
 * endedAt`), eta, error, progress, body.
 */
export function decodeState(messageId: string, columns: readonly string[], at = 0): StateRecord {
  const [status, retries, enqueuedAt, , startedAt, endedAt] = columns[at]!.split(":");
  const body = columns[at + 4]!.split("\0");
  const state: Record<string, unknown> = {
    messageId,
    status,
    actorName: body[0],
    queueName: body[1],
    args: JSON.parse(body[4]!),
    kwargs: JSON.parse(body[5]!),
    options: JSON.parse(body[6]!),
    priority: Number(body[2]),
    retries: Number(retries),
    enqueuedAt: Number(enqueuedAt),
  };
  if (body[3] !== "") state.compositionId = body[3];
  if (startedAt) state.startedAt = Number(startedAt);
  if (endedAt) state.endedAt = Number(endedAt);
  COLUMN_FIELDS.forEach((field, i) => {
    const raw = columns[at + 1 + i]!;
    if (raw === "") return;
    state[field] = field === "eta" ? Number(raw) : JSON.parse(raw);
  });
  return state as unknown as StateRecord;
}
