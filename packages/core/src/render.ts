/**
 * Bounded, never-throwing renderings of message contents for log lines and listings. A
 * message can hold anything a producer sent (10 MB of args, 5,000 levels of nesting, lone
 * surrogates): logging it must cost a bounded amount and must not fail, or the failure of one
 * message would crash the worker that tries to report it.
 */

/** How many characters of args/kwargs a log line shows by default. */
export const DEFAULT_RENDER_LIMIT = 1024;
/** Nesting deeper than this is shown as `…` rather than walked for display. */
const DISPLAY_DEPTH = 32;

/**
 * Renders `value` as JSON-like text of at most `limit` characters (plus a suffix saying how
 * much was left out: `…(1048576 more bytes)`). Never throws, whatever the value: cycles,
 * BigInts, deep nesting and huge strings are all shown in a bounded form.
 */
export function renderBounded(value: unknown, limit = DEFAULT_RENDER_LIMIT): string {
  const out: string[] = [];
  let used = 0;
  let full = false;
  const emit = (text: string): void => {
    if (full) return;
    if (used + text.length > limit) {
      out.push(text.slice(0, Math.max(0, limit - used)));
      used = limit;
      full = true;
      return;
    }
    out.push(text);
    used += text.length;
  };
  const seen = new Set<object>();
  const walk = (v: unknown, depth: number): void => {
    if (full) return;
    if (v === null || typeof v !== "object") {
      emit(primitive(v));
      return;
    }
    if (seen.has(v)) {
      emit('"[Circular]"');
      return;
    }
    if (depth >= DISPLAY_DEPTH) {
      emit(Array.isArray(v) ? "[…]" : "{…}");
      return;
    }
    seen.add(v);
    if (Array.isArray(v)) {
      emit("[");
      for (let i = 0; i < v.length && !full; i++) {
        if (i > 0) emit(",");
        walk(v[i], depth + 1);
      }
      emit("]");
    } else {
      emit("{");
      let first = true;
      for (const key of Object.keys(v)) {
        if (full) break;
        if (!first) emit(",");
        first = false;
        emit(`${primitive(key)}:`);
        walk((v as Record<string, unknown>)[key], depth + 1);
      }
      emit("}");
    }
    seen.delete(v);
  };
  try {
    walk(value, 0);
  } catch {
    // A getter that throws, a Proxy: show what was rendered so far.
    full = true;
  }
  const text = out.join("");
  if (!full) return text;
  const total = sizeOf(value);
  return total === undefined || total <= used ? `${text}…` : `${text}…(${total - used} more bytes)`;
}

/** `text` cut to `limit` characters, marked when cut: for names and ids in log lines. */
export function clip(text: string, limit = 200): string {
  return text.length <= limit
    ? text
    : `${text.slice(0, limit)}…(${text.length - limit} more bytes)`;
}

function primitive(v: unknown): string {
  switch (typeof v) {
    case "string":
      // Only the shown part is escaped: a 10 MB string costs no more than its first KB.
      return v.length > 4096
        ? `${JSON.stringify(v.slice(0, 4096)).slice(0, -1)}…"`
        : JSON.stringify(v);
    case "number":
      return Number.isFinite(v) ? String(v) : "null";
    case "bigint":
      return `${v}n`;
    case "undefined":
      return "undefined";
    case "function":
      return "[Function]";
    case "symbol":
      return v.toString();
    default:
      return String(v);
  }
}

/**
 * Roughly how many characters `value` takes as JSON, walked without recursion (so any depth
 * is fine) and given up on past 2 million nodes; `undefined` when it was given up on.
 */
function sizeOf(value: unknown): number | undefined {
  const stack: unknown[] = [value];
  const seen = new Set<object>();
  let size = 0;
  let nodes = 0;
  try {
    while (stack.length > 0) {
      if (++nodes > 2_000_000) return undefined;
      const v = stack.pop();
      if (v === null || typeof v !== "object") {
        size += typeof v === "string" ? v.length + 2 : primitive(v).length;
        continue;
      }
      if (seen.has(v)) continue;
      seen.add(v);
      if (Array.isArray(v)) {
        size += 2 + Math.max(0, v.length - 1);
        for (const item of v) stack.push(item);
      } else {
        const keys = Object.keys(v);
        size += 2 + Math.max(0, keys.length - 1);
        for (const key of keys) {
          size += key.length + 3;
          stack.push((v as Record<string, unknown>)[key]);
        }
      }
    }
  } catch {
    return undefined;
  }
  return size;
}
