/**
 * Where states live, under the namespace: `<ns>:__state__:m:<id>` (a hash per message, with
 * the TTL), sorted sets by enqueue time (`all`, `status:<s>`, `actor:<a>`, `queue:<q>`,
 * `composition:<c>`), and `expiry` (each state with the sets it is in, by expiry time, to
 * clean the sets up). The Lua scripts derive the per-message keys from the prefix.
 */
export class StateKeys {
  readonly prefix: string;

  constructor(namespace: string) {
    this.prefix = `${namespace}:__state__:`;
  }

  record(messageId: string): string {
    return `${this.prefix}m:${messageId}`;
  }

  get all(): string {
    return `${this.prefix}all`;
  }

  /** Pub/sub channel told the new statuses of each write, as `id status` lines. */
  get changed(): string {
    return `${this.prefix}changed`;
  }
}
