/**
 * Where states live, under the namespace, all below `<ns>:__state__:` (see lua/common.lua):
 * one hash per field ("column"), keyed by message id, and sorted sets by enqueue time. The
 * Lua scripts derive every key from the prefix: on a Redis Cluster the prefix carries the
 * namespace as hash tag, so every key a script derives is in the slot of the key it is given.
 */
export class StateKeys {
  readonly prefix: string;

  /** `cluster`: tag every key with the namespace (`{ns}:__state__:...`), so all share one slot. */
  constructor(namespace: string, cluster = false) {
    this.prefix = cluster ? `{${namespace}}:__state__:` : `${namespace}:__state__:`;
  }

  get all(): string {
    return `${this.prefix}all`;
  }

  /** Pub/sub channel told the new statuses of each write, as `id status` lines. */
  get changed(): string {
    return `${this.prefix}changed`;
  }
}
