import type { Loaded, ResultBackendOptions } from "./result-backend.js";
import { Missing, ResultBackend } from "./result-backend.js";

interface Stored {
  data: Uint8Array;
  expiresAt: number;
}

/**
 * In-memory result backend, for tests. Values are encoded as a real backend would, so an
 * unencodable result fails here too; blocking gets wake when the value is stored.
 */
export class StubResultBackend extends ResultBackend {
  private readonly values = new Map<string, Stored>();
  private readonly waiters = new Map<string, Set<() => void>>();

  constructor(options: ResultBackendOptions = {}) {
    super(options);
  }

  protected async load(key: string): Promise<Loaded> {
    const stored = this.values.get(key);
    if (stored === undefined) return Missing;
    if (stored.expiresAt <= Date.now()) {
      this.values.delete(key);
      return Missing;
    }
    return this.decode(stored.data);
  }

  protected async store(key: string, value: unknown, ttl: number): Promise<void> {
    this.values.set(key, { data: this.encode(value), expiresAt: Date.now() + ttl });
    const set = this.waiters.get(key);
    if (set === undefined) return;
    this.waiters.delete(key);
    for (const wake of set) wake();
  }

  protected override waitFor(key: string, timeout: number): Promise<Loaded> {
    return new Promise((resolve) => {
      let set = this.waiters.get(key);
      if (set === undefined) {
        set = new Set();
        this.waiters.set(key, set);
      }
      const waiters = set;
      const wake = () => {
        clearTimeout(timer);
        this.load(key).then(resolve, () => resolve(Missing));
      };
      const timer = setTimeout(() => {
        waiters.delete(wake);
        resolve(Missing);
      }, timeout);
      waiters.add(wake);
    });
  }

  /** Drop every stored result. */
  clear(): void {
    this.values.clear();
  }
}
