import type { StateWatch } from "./state-backend.js";

/**
 * A StateWatch fed by a registry of per-message listeners: the backend calls every listener
 * of a message when its state changes. A change that comes between two `next` calls is kept,
 * so the next call returns at once.
 */
export function changeWatch(registry: Map<string, Set<() => void>>, messageId: string): StateWatch {
  let changed = false;
  let wake: (() => void) | undefined;
  const listener = () => {
    changed = true;
    wake?.();
  };
  let set = registry.get(messageId);
  if (set === undefined) {
    set = new Set();
    registry.set(messageId, set);
  }
  set.add(listener);
  return {
    next(timeout) {
      if (changed) {
        changed = false;
        return Promise.resolve();
      }
      return new Promise<void>((resolve) => {
        const timer = setTimeout(done, timeout);
        wake = done;
        function done() {
          clearTimeout(timer);
          wake = undefined;
          changed = false;
          resolve();
        }
      });
    },
    close() {
      wake?.();
      const listeners = registry.get(messageId);
      listeners?.delete(listener);
      if (listeners?.size === 0) registry.delete(messageId);
    },
  };
}
