import { KeyedWaiters } from "../keyed-waiters.js";
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
  private readonly waiters = new KeyedWaiters();

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
    this.waiters.wake(key);
  }

  protected override async waitFor(key: string, timeout: number): Promise<Loaded> {
    const { woken, cancel } = this.waiters.start(key, timeout);
    const now = await this.load(key);
    if (now !== Missing) {
      cancel();
      return now;
    }
    return (await woken) ? this.load(key) : Missing;
  }

  /** Drop every stored result. */
  clear(): void {
    this.values.clear();
  }
}
