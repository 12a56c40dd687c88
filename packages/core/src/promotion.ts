import type { Message } from "./message.js";

// Kept on globalThis so that the ESM and CJS builds of @taskq/core, loaded side by side,
// agree on which messages are promotions.
const KEY = Symbol.for("@taskq/core.promotions");
type Holder = { [KEY]?: WeakSet<Message> };
const holder = globalThis as Holder;
holder[KEY] ??= new WeakSet();
const promotions: WeakSet<Message> = holder[KEY];

/** Marks the message a broker is about to move from its delay queue to its queue. */
export function markPromotion(message: Message): void {
  promotions.add(message);
}

/**
 * Whether the message a `beforeEnqueue` / `afterEnqueue` hook sees is a due delayed message
 * moving from its delay queue to its queue rather than a send: a middleware that records
 * sends (message state, tracing) leaves such a move alone.
 */
export function isPromotion(message: Message): boolean {
  return promotions.has(message);
}
