import type { MessageProxy } from "../message-proxy.js";

/** How the worker settled a message. */
export type Settlement = "ack" | "nack" | "requeue";

/**
 * Told, synchronously, how the worker settles a message, once its outcome is final: what
 * MessageState writes a message's end from, without making every settle wait on a hook.
 */
export interface SettleWatcher {
  /** Called once, synchronously, with how the worker settled the message (acked, dead-lettered or given back). */
  messageSettled(proxy: MessageProxy, how: Settlement): void;
}

const WATCHER = Symbol("taskq.settleWatcher");
type Watched = MessageProxy & { [WATCHER]?: SettleWatcher };

/** Ask to be told how `proxy` is settled (one watcher per message). */
export function watchSettlement(proxy: MessageProxy, watcher: SettleWatcher): void {
  (proxy as Watched)[WATCHER] = watcher;
}

/** The worker settles `proxy`: tell its watcher, if any. */
export function settling(proxy: MessageProxy, how: Settlement): void {
  const watcher = (proxy as Watched)[WATCHER];
  if (watcher !== undefined) watcher.messageSettled(proxy, how);
}
