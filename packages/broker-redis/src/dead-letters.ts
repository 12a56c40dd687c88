import type { DeadLetterInfo, DeadLetterListOptions, DeadLetterSelection } from "@taskq/core";
import { deadLetterPaging, Message, qName, selectedDeadLetterIds } from "@taskq/core";
import type { RedisConnection } from "@taskq/redis-common";
import { execAll } from "@taskq/redis-common";
import type { Keys } from "./keys.js";
import type { ScriptClient } from "./scripts.js";

/** Dead letters read per round trip when looking for message ids. */
const SCAN_CHUNK = 1000;

/**
 * How many of a queue's newest dead letters are searched for the message ids of a requeue or
 * purge by id: dead letters are stored under the broker's own ids, so finding a message id
 * means reading them. Older ones are not found (the count says so).
 */
export const DEAD_LETTER_ID_SCAN_LIMIT = 100_000;

function decoded(id: string, text: string, failedAt: number): DeadLetterInfo {
  let message: Message | null = null;
  try {
    message = Message.decode(text);
  } catch {
    // Shown raw: it died because it does not decode.
  }
  return { id, message, data: text, failedAt };
}

/** The operators' tools on a queue's dead letters (`taskq dead-letters`, the dashboard). */
export class DeadLetters {
  private readonly connection: RedisConnection<ScriptClient>;
  private readonly keys: Keys;

  constructor(connection: RedisConnection<ScriptClient>, keys: Keys) {
    this.connection = connection;
    this.keys = keys;
  }

  /** One page of a queue's dead letters (oldest first unless newestFirst); undecodable ones raw. */
  async list(queueName: string, options: DeadLetterListOptions = {}): Promise<DeadLetterInfo[]> {
    const { offset, limit, newestFirst } = deadLetterPaging("getDeadLetters", options);
    if (limit === 0) return [];
    const q = qName(queueName);
    const stop = limit === Number.POSITIVE_INFINITY ? -1 : offset + limit - 1;
    const [ids, data] = await this.connection.run(
      `list the dead letters of ${q}`,
      (client) => this.page(client, q, offset, stop, newestFirst),
      { idempotent: true },
    );
    const out: DeadLetterInfo[] = [];
    for (let i = 0; i < ids.length; i += 2)
      out.push(decoded(ids[i]!, data[i / 2] ?? "", Number(ids[i + 1])));
    return out;
  }

  /** Ids with their scores (flat), and their stored messages. */
  private async page(
    client: ScriptClient,
    q: string,
    start: number,
    stop: number,
    newestFirst: boolean,
  ): Promise<readonly [string[], (string | null)[]]> {
    const k = this.keys;
    const ids = newestFirst
      ? await client.zrevrange(k.dead(q), String(start), String(stop), "WITHSCORES")
      : await client.zrange(k.dead(q), String(start), String(stop), "WITHSCORES");
    if (ids.length === 0) return [ids, []] as const;
    const members = ids.filter((_, i) => i % 2 === 0);
    return [ids, await client.hmget(k.deadMessages(q), ...members)] as const;
  }

  /** The broker ids of the dead letters of these message ids, searched newest first, bounded. */
  private async find(q: string, messageIds: Set<string>): Promise<string[]> {
    const found: string[] = [];
    const wanted = new Set(messageIds);
    for (let start = 0; start < DEAD_LETTER_ID_SCAN_LIMIT && wanted.size > 0; start += SCAN_CHUNK) {
      const [ids, data] = await this.connection.run(
        `look for dead letters of ${q}`,
        (client) => this.page(client, q, start, start + SCAN_CHUNK - 1, true),
        { idempotent: true },
      );
      for (let i = 0; i < ids.length; i += 2) {
        const text = data[i / 2];
        if (typeof text !== "string") continue;
        // A cheap substring test first: decoding every message would cost far more.
        if (![...wanted].some((id) => text.includes(id))) continue;
        let messageId: string | undefined;
        try {
          messageId = Message.decode(text).messageId;
        } catch {
          // Not a message: cannot be one asked for.
        }
        if (messageId !== undefined && wanted.delete(messageId)) found.push(ids[i]!);
      }
      if (ids.length < SCAN_CHUNK * 2) break;
    }
    return found;
  }

  async requeue(queueName: string, options: DeadLetterSelection = {}): Promise<number> {
    const ids = selectedDeadLetterIds("requeueDeadLetters", options);
    const q = qName(queueName);
    const k = this.keys;
    if (ids === undefined)
      return this.connection.run(`requeue the dead letters of ${q}`, (client) =>
        client.taskqRequeueDead(k.dead(q), k.deadMessages(q), k.queue(q), k.messages(q), k.wake(q)),
      );
    return this.pick(q, ids, "requeue");
  }

  async purge(queueName: string, options: DeadLetterSelection = {}): Promise<number> {
    const ids = selectedDeadLetterIds("purgeDeadLetters", options);
    const q = qName(queueName);
    const k = this.keys;
    if (ids !== undefined) return this.pick(q, ids, "purge");
    const [count] = await this.connection.run(`purge the dead letters of ${q}`, (client) =>
      execAll(client.multi().zcard(k.dead(q)).del(k.dead(q), k.deadMessages(q))),
    );
    return count as number;
  }

  private async pick(q: string, ids: Set<string>, mode: "requeue" | "purge"): Promise<number> {
    if (ids.size === 0) return 0;
    const found = await this.find(q, ids);
    if (found.length === 0) return 0;
    const k = this.keys;
    return this.connection.run(`${mode} chosen dead letters of ${q}`, (client) =>
      client.taskqPickDead(
        k.dead(q),
        k.deadMessages(q),
        k.queue(q),
        k.messages(q),
        mode,
        k.wake(q),
        ...found,
      ),
    );
  }
}
