import type { ExecutionContext } from "../context.js";
import { runInContext } from "../context.js";
import type { MessageProxy } from "../message-proxy.js";

/**
 * One actor call made inline by LocalBroker, as the worker's execution context: inside it
 * `getCurrentMessage()` and `getAbortSignal()` work as under a worker, and an interrupt (the
 * TimeLimit middleware's) aborts the signal and rejects the call at once, whether or not
 * the function stops.
 */
export class InlineRun implements ExecutionContext {
  readonly proxy: MessageProxy;
  private readonly controller = new AbortController();
  private settled = false;
  private rejectCall: ((reason: unknown) => void) | undefined;

  constructor(proxy: MessageProxy) {
    this.proxy = proxy;
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  /** Call `fn` with `args` in this context; settles with the function, or with an interrupt. */
  call(fn: (...args: unknown[]) => unknown, args: readonly unknown[]): Promise<unknown> {
    return new Promise((resolve, reject) => {
      this.rejectCall = reject;
      const done = (settle: () => void) => {
        if (this.settled) return;
        this.settled = true;
        settle();
      };
      runInContext(this, () => {
        let returned: unknown;
        try {
          returned = fn(...args);
        } catch (err) {
          done(() => reject(err));
          return;
        }
        Promise.resolve(returned).then(
          (value) => done(() => resolve(value)),
          (err: unknown) => done(() => reject(err)),
        );
      });
    });
  }

  interrupt(reason: unknown): boolean {
    if (this.settled) return false;
    this.settled = true;
    this.controller.abort(reason);
    this.rejectCall?.(reason);
    return true;
  }
}
