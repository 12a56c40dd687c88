import { lazyLogger } from "../logger.js";
import type { StateBackend } from "./state-backend.js";
import type { StateUpdate } from "./types.js";

const log = lazyLogger("taskq.middleware.MessageState");

const GENERATION = Symbol("taskq.writeBuffer.generation");
type Marked = StateUpdate & { [GENERATION]?: number };

/**
 * The transitions of one turn of the event loop, handed to the backend in one `write` (a
 * fetched batch's starts and ends go together). The start of a message still in the buffer
 * when it ends is turned into its end, so a fast actor costs the backend one transition.
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

  constructor(backend: StateBackend) {
    this.backend = backend;
  }

  /** Add a transition; the promise settles once the write that carries it does. */
  add(update: StateUpdate): Promise<void> {
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
      setImmediate(() => this.flush());
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

  /** Resolve once what was added so far is written (failures are not this caller's). */
  async settled(): Promise<void> {
    const pending = [this.current, this.inFlight].filter((p) => p !== undefined);
    if (pending.length > 0) await Promise.allSettled(pending);
  }

  private flush(): void {
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
