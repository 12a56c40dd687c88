import { createHash } from "node:crypto";

/**
 * A UUID (version 5 layout, SHA-1) that is the same for the same schedule, actor and tick:
 * a tick sent twice (a scheduler that died between the broker's accept and recording it as
 * sent, then a takeover) carries one message id, so consumers can tell the copies apart.
 */
export function tickMessageId(scheduleName: string, actorName: string, tick: number): string {
  const hash = createHash("sha1")
    .update(`taskq-scheduler\0${scheduleName}\0${actorName}\0${tick}`)
    .digest();
  hash[6] = (hash[6]! & 0x0f) | 0x50;
  hash[8] = (hash[8]! & 0x3f) | 0x80;
  const hex = hash.subarray(0, 16).toString("hex");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
