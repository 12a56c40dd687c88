import { InvalidArgument } from "./errors.js";

/** Queue naming shared by every broker: `<q>`, its delay queue `<q>.DQ`, its dead letters `<q>.XQ`. */

const QUEUE_NAME = /^[a-zA-Z_][a-zA-Z0-9._-]*$/;

/** Whether `name` may name a queue: it must match `[a-zA-Z_][a-zA-Z0-9._-]*`. */
export function isValidQueueName(name: string): boolean {
  return QUEUE_NAME.test(name);
}

export function assertQueueName(name: unknown, what = "queue name"): asserts name is string {
  if (typeof name !== "string" || !QUEUE_NAME.test(name)) {
    throw new InvalidArgument(
      `Invalid ${what} ${JSON.stringify(name)}: it must match [a-zA-Z_][a-zA-Z0-9._-]*`,
    );
  }
}

/** The delay queue of a queue (or of its dead-letter queue: `q.XQ` gives `q.DQ`, as in Dramatiq). */
export function dqName(queueName: string): string {
  if (queueName.endsWith(".DQ")) return queueName;
  return `${queueName.endsWith(".XQ") ? queueName.slice(0, -3) : queueName}.DQ`;
}

/** The dead-letter queue of a queue (or of its delay queue). */
export function xqName(queueName: string): string {
  return `${qName(queueName)}.XQ`;
}

/** The canonical queue behind a delay or dead-letter queue name. */
export function qName(queueName: string): string {
  if (queueName.endsWith(".DQ") || queueName.endsWith(".XQ")) return queueName.slice(0, -3);
  return queueName;
}

/** Whether `queueName` is a delay queue (`<queue>.DQ`). */
export function isDelayQueue(queueName: string): boolean {
  return queueName.endsWith(".DQ");
}
