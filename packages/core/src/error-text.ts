/**
 * Bounded, never-throwing descriptions of thrown values. An actor may throw anything (an
 * object without `toString`, a Proxy whose every trap throws, an Error whose message is 10 MB):
 * describing it for a log line, a stored result or a dead letter must neither fail nor grow
 * without bound.
 */
import { renderBounded } from "./render.js";

/** Longest message kept in a `{ type, message }` description. */
const MESSAGE_LIMIT = 1024;
/** Upper bound of the `traceback` option written on retried and dead-lettered messages (UTF-8 bytes). */
export const TRACEBACK_LIMIT = 4096;

/**
 * `value instanceof cls`, false instead of throwing: `instanceof` runs a Proxy's
 * getPrototypeOf trap, and an actor may throw such a Proxy.
 */
export function isInstance(value: unknown, cls: Function): boolean {
  try {
    return value instanceof cls;
  } catch {
    return false;
  }
}

function cut(text: string, limit: number): string {
  return text.length <= limit
    ? text
    : `${text.slice(0, limit)}…(${text.length - limit} more bytes)`;
}

function typeName(error: Error): string {
  const ctor = error.constructor as { name?: unknown } | undefined;
  if (typeof ctor?.name === "string" && ctor.name.length > 0) return cut(ctor.name, 200);
  return typeof error.name === "string" ? cut(error.name, 200) : "Error";
}

/**
 * The type and message of a thrown value: an Error's class name and message, or for anything
 * else its `typeof` and a bounded rendering. Never throws.
 */
export function describeError(error: unknown): { type: string; message: string } {
  try {
    if (error instanceof Error) {
      const message = error.message;
      return {
        type: typeName(error),
        message: typeof message === "string" ? cut(message, MESSAGE_LIMIT) : renderBounded(message),
      };
    }
  } catch {
    // A Proxy or a throwing getter: describe it from the outside below.
  }
  const type = typeof error;
  if (type === "string") return { type, message: cut(error as string, MESSAGE_LIMIT) };
  return { type, message: renderBounded(error, MESSAGE_LIMIT) };
}

/** The `    at …` lines of a stack, at most `frames` of them, read without splitting a huge message. */
function stackFrames(error: Error, frames: number): string[] {
  const stack = error.stack;
  if (typeof stack !== "string") return [];
  const start = stack.indexOf("\n    at ");
  if (start < 0) return [];
  const out: string[] = [];
  let at = start + 1;
  while (out.length < frames && at < stack.length) {
    const end = stack.indexOf("\n", at);
    const line = end < 0 ? stack.slice(at) : stack.slice(at, end);
    if (!line.startsWith("    at ")) break;
    out.push(cut(line, 400));
    if (end < 0) break;
    at = end + 1;
  }
  return out;
}

export interface FormatErrorOptions {
  /** Most UTF-8 bytes of the text. */
  limit: number;
  /** Most stack frames shown. */
  frames: number;
}

/**
 * `Type: message` followed by a few stack frames and the cause (one level), cut to
 * `limit` bytes: what a log line or a dead letter shows of an error. Never throws.
 */
export function formatError(error: unknown, options: FormatErrorOptions): string {
  try {
    const { type, message } = describeError(error);
    let text = `${type}: ${message}`;
    if (error instanceof Error) {
      const frames = stackFrames(error, options.frames);
      if (frames.length > 0) text += `\n${frames.join("\n")}`;
      const cause = (error as { cause?: unknown }).cause;
      if (cause !== undefined) {
        const c = describeError(cause);
        text += `\nCaused by ${c.type}: ${c.message}`;
      }
    }
    return fitBytes(text, options.limit);
  } catch {
    return "(an error that cannot be described)";
  }
}

/** The `traceback` option's text: type, message and a few frames, at most 4 KB. */
export function traceback(error: unknown): string {
  return formatError(error, { limit: TRACEBACK_LIMIT, frames: 8 });
}

/** `text` cut so that its UTF-8 form takes at most `limit` bytes, marked with `…` when cut. */
export function fitBytes(text: string, limit: number): string {
  if (text.length * 3 <= limit || Buffer.byteLength(text, "utf8") <= limit) return text;
  // Keep 3 bytes for the mark; each char is at most 3 UTF-8 bytes per UTF-16 unit.
  let lo = 0;
  let hi = Math.min(text.length, limit);
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    if (Buffer.byteLength(text.slice(0, mid), "utf8") <= limit - 3) lo = mid;
    else hi = mid - 1;
  }
  return `${text.slice(0, lo)}…`;
}
