import type { Broker, DeadLetterInfo } from "@taskq/core";

/** One `/api/queues` entry. */
export interface QueueSummary {
  name: string;
  ready: number;
  delayed: number;
  dead: number;
  inProgress: number;
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
  messageId: string;
  actorName: string | null;
  queueName: string;
  args: unknown[];
  kwargs: Record<string, unknown>;
  options: Record<string, unknown>;
  failedAt: number | null;
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
      failedAt: null,
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
    // Brokers do not expose when a message died yet (DeadLetterInfo has no time).
    failedAt: null,
  };
  if (typeof traceback === "string") item.error = traceback;
  return item;
}
