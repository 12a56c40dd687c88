import { afterEach } from "vitest";

/**
 * Inside a `describe`: a `setup()` that makes an instance per call and releases every
 * instance made by a test once it ends.
 */
export function trackInstances<T>(
  make: () => T | Promise<T>,
  destroy: ((instance: T) => Promise<void>) | undefined,
): () => Promise<T> {
  const made: T[] = [];
  afterEach(async () => {
    while (made.length > 0) {
      const instance = made.pop()!;
      if (destroy) await destroy(instance);
    }
  });
  return async () => {
    const instance = await make();
    made.push(instance);
    return instance;
  };
}
