import type { CancelBackendOptions, CancelListener, CancelSubscription } from "./cancel-backend.js";
import { CancelBackend } from "./cancel-backend.js";

/**
 * In-memory cancel backend, for tests and one-process use: marks in a map, notices to the
 * subscribers of this instance (share one instance between the brokers of a test).
 */
export class StubCancelBackend extends CancelBackend {
  private readonly marks = new Map<string, number>();
  private readonly listeners = new Set<CancelListener>();

  constructor(options: CancelBackendOptions = {}) {
    super(options);
  }

  async cancel(ids: readonly string[]): Promise<void> {
    const list = CancelBackend.checkIds(ids);
    const now = Date.now();
    for (const id of list) this.marks.set(id, now);
    for (const [id, at] of this.marks) if (at <= now - this.ttl) this.marks.delete(id);
    if (list.length === 0) return;
    for (const listener of [...this.listeners]) listener.onCancel([...list]);
  }

  async areCanceled(ids: readonly string[]): Promise<boolean[]> {
    const list = CancelBackend.checkIds(ids);
    const oldest = Date.now() - this.ttl;
    return list.map((id) => (this.marks.get(id) ?? Number.NEGATIVE_INFINITY) > oldest);
  }

  async subscribe(listener: CancelListener): Promise<CancelSubscription> {
    this.listeners.add(listener);
    return {
      close: async () => {
        this.listeners.delete(listener);
      },
    };
  }

  /** Drop every mark. */
  clear(): void {
    this.marks.clear();
  }
}
