import { isUtf8 } from "node:buffer";
import { DecodeError, EncodeError } from "./errors.js";

/**
 * How deep a message may nest: arrays and objects inside one another, the message object
 * itself counting as the first level. Deeper values are refused by `encode` (EncodeError)
 * and by `decode` (DecodeError), so nothing that handles a message — logging it, encoding a
 * retry of it, storing its result — ever has to walk a 5,000-level structure.
 */
export const MAX_MESSAGE_DEPTH = 256;

/** Turns message data into bytes and back. Decoding never executes code. */
export interface Encoder {
  /** Turn message data into bytes; an EncodeError for what cannot be carried. */
  encode(data: unknown): Uint8Array;
  /** Turn bytes (or text) back into data; a DecodeError for what is malformed. */
  decode(data: Uint8Array | string): unknown;
  /**
   * Encoders whose output is text may also give it as a string: brokers that send text
   * (Redis) then skip a copy through a Buffer.
   */
  encodeText?(data: unknown): string;
}

function describe(value: unknown): string {
  if (typeof value === "number") return String(value);
  if (typeof value === "bigint") return `BigInt ${value}n`;
  if (typeof value === "function") return `function ${value.name || "(anonymous)"}`;
  if (typeof value === "symbol") return value.toString();
  if (value === undefined) return "undefined";
  const ctor = (value as object).constructor;
  return ctor?.name ? `a ${ctor.name}` : "an object";
}

function fail(path: string, value: unknown, why: string): never {
  const where = path === "" ? "the value" : path;
  throw new EncodeError(`${where} cannot be encoded as JSON: ${describe(value)} ${why}`, path);
}

function member(path: string, key: string): string {
  return path === "" ? key : `${path}.${key}`;
}

/**
 * Walks a value and throws an EncodeError naming the first part JSON would drop, mangle or
 * refuse, instead of letting JSON.stringify silently turn it into `null` or `{}`.
 */
export function assertJsonable(value: unknown, path = "", stack: object[] = []): void {
  switch (typeof value) {
    case "string":
    case "boolean":
      return;
    case "number":
      if (!Number.isFinite(value)) fail(path, value, "is not a finite number");
      return;
    case "object": {
      if (value === null) return;
      if (stack.includes(value)) fail(path, value, "refers back to itself (a cycle)");
      if (stack.length >= MAX_MESSAGE_DEPTH) {
        fail(path, value, `nests deeper than ${MAX_MESSAGE_DEPTH} levels`);
      }
      if (Array.isArray(value)) {
        stack.push(value);
        for (let i = 0; i < value.length; i++) {
          const item: unknown = value[i];
          if (item === undefined) fail(`${path}[${i}]`, item, "would become null");
          assertJsonable(item, `${path}[${i}]`, stack);
        }
        stack.pop();
        return;
      }
      if (typeof (value as { toJSON?: unknown }).toJSON === "function") return;
      const proto = Object.getPrototypeOf(value);
      if (
        value instanceof Map ||
        value instanceof Set ||
        value instanceof WeakMap ||
        value instanceof WeakSet ||
        value instanceof RegExp ||
        value instanceof Promise ||
        ArrayBuffer.isView(value) ||
        value instanceof ArrayBuffer
      ) {
        fail(path, value, "would be encoded as {}");
      }
      if (proto !== Object.prototype && proto !== null && value instanceof Error) {
        fail(path, value, "would lose its message and stack; pass { name, message } instead");
      }
      stack.push(value);
      for (const key in value) {
        if (!Object.hasOwn(value, key)) continue;
        const item = (value as Record<string, unknown>)[key];
        // JSON.stringify drops undefined members, which is what a caller means by them.
        if (item === undefined) continue;
        assertJsonable(item, member(path, key), stack);
      }
      stack.pop();
      return;
    }
    default:
      fail(path, value, "has no JSON form");
  }
}

// Python's json.dumps escapes everything outside printable ASCII; doing the same keeps our
// bytes identical to Dramatiq's for the same message.
const NON_ASCII = /[\u007f-\uffff]/g;
function escapeNonAscii(ch: string): string {
  return `\\u${ch.charCodeAt(0).toString(16).padStart(4, "0")}`;
}

/** Compact JSON, byte-compatible with Dramatiq's JSONEncoder. The default. */
export class JSONEncoder implements Encoder {
  /** Compact JSON as UTF-8 bytes; an EncodeError naming the first value JSON cannot carry. */
  encode(data: unknown): Uint8Array {
    return Buffer.from(this.encodeText(data), "latin1");
  }

  /** The same JSON as `encode`, as a string (pure ASCII). */
  encodeText(data: unknown): string {
    assertJsonable(data);
    const text = JSON.stringify(data);
    NON_ASCII.lastIndex = 0;
    return NON_ASCII.test(text) ? text.replace(NON_ASCII, escapeNonAscii) : text;
  }

  /**
   * Parses JSON text or UTF-8 bytes. Bytes that are not valid UTF-8 and values nested deeper
   * than MAX_MESSAGE_DEPTH are a DecodeError, as is anything JSON.parse refuses.
   */
  decode(data: Uint8Array | string): unknown {
    let text: string;
    if (typeof data === "string") {
      text = data;
    } else {
      const bytes = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
      // toString would silently turn invalid sequences into U+FFFD: the payload would change.
      if (!isUtf8(bytes)) throw new DecodeError("undecodable message: not valid UTF-8", data);
      text = bytes.toString("utf8");
    }
    if (nestsDeeperThan(text, MAX_MESSAGE_DEPTH)) {
      throw new DecodeError(
        `undecodable message: nested deeper than ${MAX_MESSAGE_DEPTH} levels`,
        data,
      );
    }
    try {
      return JSON.parse(text);
    } catch (err) {
      throw new DecodeError(`undecodable message: ${(err as Error).message}`, data, err);
    }
  }
}

/**
 * Whether JSON text opens more than `max` arrays/objects inside one another. One pass, no
 * recursion; string contents are skipped with indexOf, so a 10 MB string costs little.
 * Malformed text is left for JSON.parse to report.
 */
export function nestsDeeperThan(text: string, max: number): boolean {
  // Each level needs an opening and a closing bracket.
  if (text.length <= 2 * max) return false;
  let depth = 0;
  const n = text.length;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22 /* " */) {
      let from = i + 1;
      for (;;) {
        const q = text.indexOf('"', from);
        if (q < 0) return false;
        let b = q - 1;
        while (b >= from && text.charCodeAt(b) === 0x5c /* \\ */) b--;
        if ((q - 1 - b) % 2 === 0) {
          i = q;
          break;
        }
        from = q + 1;
      }
    } else if (c === 0x5b /* [ */ || c === 0x7b /* { */) {
      if (++depth > max) return true;
    } else if (c === 0x5d /* ] */ || c === 0x7d /* } */) {
      depth--;
    }
  }
  return false;
}

let current: Encoder = new JSONEncoder();

/** Replace the encoder used for every message and stored result in this process. */
export function setEncoder(encoder: Encoder): void {
  current = encoder;
}

/**
 * The encoder used for every message and stored result in this process (JSONEncoder unless
 * `setEncoder` replaced it).
 */
export function getEncoder(): Encoder {
  return current;
}
