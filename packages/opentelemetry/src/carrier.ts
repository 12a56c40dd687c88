import type { TextMapGetter, TextMapSetter } from "@opentelemetry/api";

/**
 * The `trace_ctx` message option: what the propagator writes (W3C `traceparent` and
 * `tracestate` by default), plus `first_attempt`, a carrier of the same kind holding the
 * first attempt's consumer span once the message has been retried.
 */
export type Carrier = Record<string, unknown>;

/** The wire name of the option, and of the first attempt inside it. */
export const TRACE_CTX = "trace_ctx";
export const FIRST_ATTEMPT = "first_attempt";

/**
 * `value` as a carrier when it is a plain object; anything else (a foreign producer may put
 * anything in a message) counts as no trace context.
 */
export function readCarrier(value: unknown): Carrier | undefined {
  return typeof value === "object" && value !== null && !Array.isArray(value)
    ? (value as Carrier)
    : undefined;
}

/** Reads only own string fields: a carrier from the wire is untrusted. */
export const getter: TextMapGetter<Carrier> = {
  keys: (carrier) => Object.keys(carrier).filter((k) => typeof carrier[k] === "string"),
  get: (carrier, key) => {
    if (!Object.hasOwn(carrier, key)) return undefined;
    const value = carrier[key];
    return typeof value === "string" ? value : undefined;
  },
};

export const setter: TextMapSetter<Carrier> = {
  set: (carrier, key, value) => {
    Object.defineProperty(carrier, key, {
      value,
      writable: true,
      enumerable: true,
      configurable: true,
    });
  },
};

/** Whether a propagator wrote anything. */
export function isEmpty(carrier: Carrier): boolean {
  for (const _ in carrier) return false;
  return true;
}
