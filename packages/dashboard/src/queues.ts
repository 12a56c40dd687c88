import type { Broker, DeadLetterInfo } from "@taskq/core";

/** One `/api/queues` entry. */
export interface QueueSummary {
  /** The queue's name. */
  name: string;
  /** Messages waiting on the queue. */
  ready: number;
  /** Messages waiting on its delay queue. */
  delayed: number;
  /** Messages in its dead-letter queue. */
  dead: number;
  /** Messages held by workers (0 where the broker cannot tell, as on RabbitMQ). */
  inProgress: number;
  /** Whether the queue is paused for the fleet. */
  paused: boolean;
}

/** Counts of every declared queue, sorted by name; each is a constant-time read on the broker. */
export async function queueSummaries(broker: Broker): Promise<QueueSummary[]> {
  const names = [...broker.getDeclaredQueues()].sort();
  const [paused, counts] = await Promise.all([
    broker.pausedQueues(),
    Promise.all(names.map((n) => broker.getQueueMessageCounts(n))),
  ]);
  const pausedSet = new Set(paused);
  return names.map((name, i) => {
    const c = counts[i]!;
    return {
      name,
      ready: c.ready,
      delayed: c.delayed,
      dead: c.dead,
      inProgress: c.inProgress ?? 0,
      paused: pausedSet.has(name),
    };
  });
}

/** A dead letter as the API shows it (DESIGN §14). */
export interface DeadLetterItem {
  /** The message's id (the broker's id when it does not decode). */
  messageId: string;
  /** Its actor; `null` when the stored bytes do not decode. */
  actorName: string | null;
  /** The queue it died on. */
  queueName: string;
  /** Its positional arguments. */
  args: unknown[];
  /** Its keyword arguments. */
  kwargs: Record<string, unknown>;
  /** Its options as on the wire. */
  options: Record<string, unknown>;
  /** When it died (ms since the epoch); `null` where the broker did not record it. */
  failedAt: number | null;
  /** Why it died: its `traceback` option, when it has one. */
  error?: string;
  /** The stored text, only when it does not decode as a message. */
  raw?: string;
}

/** The API shape of a broker dead letter. */
export function deadLetterItem(queueName: string, info: DeadLetterInfo): DeadLetterItem {
  const m = info.message;
  if (m === null)
    return {
      messageId: info.id,
      actorName: null,
      queueName,
      args: [],
      kwargs: {},
      options: {},
      failedAt: info.failedAt ?? null,
      raw: info.data,
    };
  const options = m.options as Record<string, unknown>;
  const traceback = options.traceback;
  const item: DeadLetterItem = {
    messageId: m.messageId,
    actorName: m.actorName,
    queueName: m.queueName,
    args: [...m.args],
    kwargs: { ...m.kwargs },
    options,
    failedAt: info.failedAt ?? null,
  };
  if (typeof traceback === "string") item.error = traceback;
  return item;
}
