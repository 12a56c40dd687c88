import type { StateRecord } from "@taskq/core";

// How a state's fields sit in its Redis hash: strings, numbers as decimal text, the
// structured ones as JSON.
const NUMBERS = new Set(["retries", "priority", "enqueuedAt", "startedAt", "endedAt", "eta"]);
const JSON_FIELDS = new Set(["args", "kwargs", "options", "progress", "error"]);

/** A field's hash value; '' removes the field (what `null` means in changes). */
export function encodeField(field: string, value: unknown): string {
  if (value === null) return "";
  if (JSON_FIELDS.has(field)) return JSON.stringify(value);
  return String(value);
}

/** A state from its hash (as HGETALL gives it); an empty field is an absent one. */
export function decodeState(messageId: string, hash: Record<string, string>): StateRecord {
  const state: Record<string, unknown> = { messageId };
  for (const key of Object.keys(hash)) {
    const raw = hash[key]!;
    if (raw === "" || key === "touched") continue;
    if (NUMBERS.has(key)) state[key] = Number(raw);
    else if (JSON_FIELDS.has(key)) state[key] = JSON.parse(raw);
    else state[key] = raw;
  }
  return state as unknown as StateRecord;
}

/** `[field, value, field, value...]` to an object. */
export function pairs(flat: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (let i = 0; i + 1 < flat.length; i += 2) out[flat[i]!] = flat[i + 1]!;
  return out;
}
