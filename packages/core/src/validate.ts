import { InvalidArgument } from "./errors.js";
import { renderBounded } from "./render.js";

/**
 * Checks one option value: returns `undefined` when it fits, or what was expected (e.g.
 * "a number ≥ 0") for the error message.
 */
export type OptionCheck = (value: unknown) => string | undefined;

function describe(value: unknown): string {
  if (typeof value === "function") return "a function";
  if (typeof value === "string")
    return JSON.stringify(value.length > 80 ? `${value.slice(0, 80)}…` : value);
  if (typeof value === "bigint") return `${value}n`;
  if (typeof value === "symbol") return value.toString();
  // Bounded work and text whatever the value (10 MB, 5,000 levels, cycles); never throws.
  return renderBounded(value, 80);
}

const number = (min: number, strict: boolean, integer: boolean, what: string): OptionCheck => {
  return (v) =>
    typeof v === "number" &&
    Number.isFinite(v) &&
    (strict ? v > min : v >= min) &&
    (!integer || Number.isInteger(v))
      ? undefined
      : what;
};

/** Ready-made checks for `validateOptions`. */
export const optionChecks = {
  /** A finite number ≥ 0 (a duration in ms, a size). */
  nonNegativeNumber: number(0, false, false, "a finite number ≥ 0"),
  /** A finite number > 0. */
  positiveNumber: number(0, true, false, "a finite number > 0"),
  /** An integer ≥ 0. */
  nonNegativeInteger: number(0, false, true, "an integer ≥ 0"),
  /** An integer ≥ 1. */
  positiveInteger: number(0, true, true, "an integer ≥ 1"),
  /** A number from 0 to 1. */
  fraction: (v: unknown) =>
    typeof v === "number" && v >= 0 && v <= 1 ? undefined : "a number from 0 to 1",
  boolean: (v: unknown) => (typeof v === "boolean" ? undefined : "a boolean"),
  string: (v: unknown) => (typeof v === "string" ? undefined : "a string"),
  nonEmptyString: (v: unknown) =>
    typeof v === "string" && v.length > 0 ? undefined : "a non-empty string",
  function: (v: unknown) => (typeof v === "function" ? undefined : "a function"),
  /** A plain object (not an array, not null). */
  object: (v: unknown) =>
    typeof v === "object" && v !== null && !Array.isArray(v) ? undefined : "an object",
  /** One of the given literal values. */
  oneOf:
    (...values: readonly unknown[]): OptionCheck =>
    (v) =>
      values.includes(v) ? undefined : `one of ${values.map((x) => JSON.stringify(x)).join(", ")}`,
  /** An array whose every element passes `each`. */
  arrayOf:
    (each: OptionCheck, what: string): OptionCheck =>
    (v) =>
      Array.isArray(v) && v.every((x) => each(x) === undefined) ? undefined : what,
  /** `null` or what `check` accepts. */
  orNull:
    (check: OptionCheck): OptionCheck =>
    (v) => {
      if (v === null) return undefined;
      const expected = check(v);
      return expected === undefined ? undefined : `${expected} or null`;
    },
  /** Passes when any of the checks passes. */
  anyOf:
    (...checks: readonly OptionCheck[]): OptionCheck =>
    (v) => {
      const misses: string[] = [];
      for (const check of checks) {
        const expected = check(v);
        if (expected === undefined) return undefined;
        misses.push(expected);
      }
      return misses.join(" or ");
    },
} as const;

/**
 * Checks the options a constructor was given against `spec` and throws an `InvalidArgument`
 * naming the first option whose value does not fit (`RedisBroker option namespace must be a
 * non-empty string, got 5`). Only own properties are read, so a name such as `constructor`
 * or `__proto__` is never taken from the prototype; `undefined` values mean "not given".
 */
export function validateOptions(
  where: string,
  options: unknown,
  spec: Readonly<Record<string, OptionCheck>>,
): void {
  if (options === undefined) return;
  if (typeof options !== "object" || options === null || Array.isArray(options)) {
    throw new InvalidArgument(`${where} options must be an object, got ${describe(options)}`);
  }
  for (const name of Object.keys(spec)) {
    if (!Object.hasOwn(options, name)) continue;
    const value = (options as Record<string, unknown>)[name];
    if (value === undefined) continue;
    const check = spec[name] as OptionCheck;
    const expected = check(value);
    if (expected !== undefined) {
      throw new InvalidArgument(
        `${where} option ${name} must be ${expected}, got ${describe(value)}`,
      );
    }
  }
}

/** A short, safe rendering of any value for an error message (never throws). */
export const describeValue = describe;
