import { lazyLogger } from "../logger.js";
import type { StateBackend } from "./state-backend.js";
import type { StateUpdate } from "./types.js";

const log = lazyLogger("taskq.middleware.MessageState");

/** Longest a worker's transition waits for the next fetched batch, ms. */
const LINGER = 5;

const GENERATION = Symbol("taskq.writeBuffer.generation");
type Marked = StateUpdate & { [GENERATION]?: number };

/**
 * Transitions gathered and handed to the backend in one `write`. Those someone waits for (a
 * send's pending, a progress report) go at the end of the turn of the event loop; a worker's
 * starts and ends go when the worker takes in its next fetched batch (`flush()`), so a fetched
 * batch costs one write, made while Redis has just served the fetch rather than when the
 * next fetch needs it — or after `LINGER` ms at the latest. The start of a message still
 * here when it ends is turned into its end, so a fast actor costs the backend one transition.
 */
export class WriteBuffer {
  private readonly backend: StateBackend;
  private updates: StateUpdate[] = [];
  /** Which flush the updates waiting now go with (marked on each update). */
  private generation = 0;
  private current: Promise<void> | undefined;
  private release: (() => void) | undefined;
  private fail: ((err: unknown) => void) | undefined;
  /** The write under way, if any. */
  private inFlight: Promise<void> | undefined;
  private failing = false;
  private timer: NodeJS.Timeout | undefined;
  private immediate: NodeJS.Immediate | undefined;

  constructor(backend: StateBackend) {
    this.backend = backend;
  }

  /**
   * Add a transition; the promise settles once the write that carries it does. `waited`: the
   * caller waits for it, so it goes at the end of this turn.
   */
  add(update: StateUpdate, waited = true): Promise<void> {
    this.updates.push(update);
    (update as Marked)[GENERATION] = this.generation;
    if (this.current === undefined) {
      this.current = new Promise<void>((resolve, reject) => {
        this.release = resolve;
        this.fail = reject;
      });
      // Callers that do not wait (the worker's transitions) must not leave a rejection
      // unhandled: the failure is logged once below.
      this.current.catch(() => {});
    }
    if (waited) this.immediate ??= setImmediate(() => this.flush());
    else if (this.timer === undefined) {
      this.timer = setTimeout(() => this.flush(), LINGER);
      this.timer.unref();
    }
    return this.current;
  }

  /** Whether `update` is still waiting here (and may still be changed in place). */
  holds(update: StateUpdate): boolean {
    return (update as Marked)[GENERATION] === this.generation && this.current !== undefined;
  }

  /** The promise of the write that will carry what is waiting now. */
  written(): Promise<void> {
    return this.current ?? Promise.resolve();
  }

  /** Hand what is waiting to the backend at the end of this turn. */
  soon(): void {
    if (this.current !== undefined) this.immediate ??= setImmediate(() => this.flush());
  }

  /** Write what was added so far; resolve once written (failures are not this caller's). */
  async settled(): Promise<void> {
    this.flush();
    const pending = [this.current, this.inFlight].filter((p) => p !== undefined);
    if (pending.length > 0) await Promise.allSettled(pending);
  }

  /** Hand what is waiting to the backend now. */
  flush(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    if (this.immediate !== undefined) clearImmediate(this.immediate);
    this.timer = undefined;
    this.immediate = undefined;
    if (this.current === undefined) return;
    const updates = this.updates;
    const release = this.release!;
    const fail = this.fail!;
    this.updates = [];
    this.generation++;
    this.current = undefined;
    const write = this.backend.write(updates).then(
      () => {
        if (this.failing) {
          this.failing = false;
          log.info("Recording message states again.");
        }
        release();
      },
      (err: unknown) => {
        if (!this.failing) {
          this.failing = true;
          log.error(
            { err },
            `Could not record ${updates.length} message state transition(s); states lag until the backend is back.`,
          );
        }
        fail(err);
      },
    );
    this.inFlight = write;
    void write.finally(() => {
      if (this.inFlight === write) this.inFlight = undefined;
    });
  }
}
