/**
 * Sets an own property, even one named `__proto__`: a plain assignment of that name would
 * change the object's prototype instead, silently dropping the value (and letting a message
 * from the wire reshape an options object).
 */
export function setOwn(target: Record<string, unknown>, key: string, value: unknown): void {
  if (key === "__proto__") {
    Object.defineProperty(target, key, {
      value,
      writable: true,
      enumerable: true,
      configurable: true,
    });
  } else {
    target[key] = value;
  }
}
