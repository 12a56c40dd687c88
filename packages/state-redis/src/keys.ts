/**
 * Where states live, under the namespace, all below `<ns>:__state__:` (see lua/common.lua):
 * one hash per field ("column"), keyed by message id, and sorted sets by enqueue time. The
 * Lua scripts derive every key from the prefix.
 */
export class StateKeys {
  readonly prefix: string;

  constructor(namespace: string) {
    this.prefix = `${namespace}:__state__:`;
  }

  get all(): string {
    return `${this.prefix}all`;
  }

  /** Pub/sub channel told the new statuses of each write, as `id status` lines. */
  get changed(): string {
    return `${this.prefix}changed`;
  }
}
