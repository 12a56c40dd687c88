import type { DeadLetterInfo } from "@taskq/core";
import { DEFAULT_RENDER_LIMIT } from "@taskq/core";

/** `text` cut to `limit` characters, saying how much was left out (as core's renderBounded). */
export function clip(text: string, limit = DEFAULT_RENDER_LIMIT): string {
  return text.length <= limit
    ? text
    : `${text.slice(0, limit)}…(${text.length - limit} more bytes)`;
}

/**
 * One dead letter of the listing: its id and message on one line — bounded (args and kwargs
 * about 1 KB each), or with `full` the message exactly as stored — then, indented, why it
 * failed: the first line of the last error the message recorded (all of it with `full`).
 */
export function describeDeadLetter(letter: DeadLetterInfo, full: boolean): string {
  const { message } = letter;
  const id = message?.messageId ?? `(undecodable, broker id ${letter.id})`;
  let body: string;
  if (full)
    body = letter.data !== "" || message === null ? letter.data : message.toString(Infinity);
  else body = message === null ? clip(letter.data) : message.toString();
  const lines = [`${id}  ${body}`];
  const traceback = message?.options.traceback;
  if (typeof traceback === "string" && traceback.trim() !== "") {
    const shown = full ? traceback.trimEnd().split("\n") : [clip(firstLine(traceback))];
    for (const line of shown) lines.push(`    ${line}`);
  }
  return lines.join("\n");
}

function firstLine(text: string): string {
  return text.trimStart().split("\n", 1)[0]!.trimEnd();
}
