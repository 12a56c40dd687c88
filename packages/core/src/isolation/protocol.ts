/**
 * The messages between a worker and its pool threads (or child processes). Everything is JSON:
 * the message and the result travel as JSON text, as they would on the wire.
 */
import type { WireError } from "./crossed-error.js";

/** What a pool thread is started with. */
export interface PoolInit {
  /** Modules to import first, in order: loaders (tsx's, for TypeScript actor modules). */
  preload: string[];
  /** Actor module URLs to import, in order. */
  modules: string[];
}

/** Worker → thread. */
export type ToPool =
  | { type: "init"; init: PoolInit }
  | { type: "run"; id: number; actorName: string; message: string }
  /** Abort the call's AbortSignal (time limit, cancel); the thread is killed after a grace. */
  | { type: "abort"; id: number; reason: WireError }
  /** A progress report is recorded (or failed to be): its setProgress resolves (or rejects). */
  | { type: "progressed"; id: number; seq: number; error?: WireError };

/** Thread → worker. */
export type FromPool =
  | { type: "ready"; actors: string[] }
  | { type: "bootFailed"; module: string; error: WireError }
  | { type: "done"; id: number; result: string }
  | { type: "failed"; id: number; error: WireError }
  | { type: "progress"; id: number; seq: number; value: string };
