/**
 * The messages between a worker and its pool threads (or child processes). Everything is JSON:
 * the message and the result travel as JSON text, as they would on the wire.
 */
import type { WireError } from "./crossed-error.js";

/** What a pool thread is started with. */
export interface PoolInit {
  /** Actor module URLs to import, in order. */
  modules: string[];
}

/** Worker → thread. */
export type ToPool =
  | { type: "init"; init: PoolInit }
  | { type: "run"; id: number; actorName: string; message: string };

/** Thread → worker. */
export type FromPool =
  | { type: "ready"; actors: string[] }
  | { type: "bootFailed"; module: string; error: WireError }
  | { type: "done"; id: number; result: string }
  | { type: "failed"; id: number; error: WireError }
  | { type: "progress"; id: number; value: string };
