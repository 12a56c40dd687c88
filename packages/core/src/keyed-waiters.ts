/** Callers waiting on string keys, woken all at once: the stubs' way to block without polling. */
export class KeyedWaiters {
  private readonly waiting = new Map<string, Set<() => void>>();

  /** Resolve true when `key` is woken, false after `timeout` ms. */
  wait(key: string, timeout: number): Promise<boolean> {
    return this.start(key, timeout).woken;
  }

  /**
   * Register a waiter now and return its outcome with a way to withdraw it (resolving
   * false): lets a caller register first and check its condition after, so a wake-up
   * between the two is never missed.
   */
  start(key: string, timeout: number): { woken: Promise<boolean>; cancel: () => void } {
    let cancel!: () => void;
    const woken = new Promise<boolean>((resolve) => {
      let set = this.waiting.get(key);
      if (set === undefined) {
        set = new Set();
        this.waiting.set(key, set);
      }
      const waiters = set;
      const wake = () => {
        clearTimeout(timer);
        resolve(true);
      };
      const give = () => {
        clearTimeout(timer);
        waiters.delete(wake);
        if (waiters.size === 0 && this.waiting.get(key) === waiters) this.waiting.delete(key);
        resolve(false);
      };
      const timer = setTimeout(give, timeout);
      cancel = give;
      waiters.add(wake);
    });
    return { woken, cancel };
  }

  wake(key: string): void {
    const set = this.waiting.get(key);
    if (set === undefined) return;
    this.waiting.delete(key);
    for (const wake of set) wake();
  }
}
