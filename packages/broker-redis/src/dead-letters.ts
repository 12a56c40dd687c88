import type { DeadLetterInfo } from "@taskq/core";
import { Message, qName } from "@taskq/core";
import type { Keys } from "./keys.js";
import type { ScriptClient } from "./scripts.js";

/** The operators' tools on a queue's dead letters (`taskq dead-letters`). */
export class DeadLetters {
  private readonly client: ScriptClient;
  private readonly keys: Keys;

  constructor(client: ScriptClient, keys: Keys) {
    this.client = client;
    this.keys = keys;
  }

  /** The dead letters of a queue, oldest first; undecodable ones shown raw. */
  async list(queueName: string, limit = 0): Promise<DeadLetterInfo[]> {
    const q = qName(queueName);
    const ids = await this.client.zrange(this.keys.dead(q), "0", String(limit - 1));
    if (ids.length === 0) return [];
    const data = await this.client.hmget(this.keys.deadMessages(q), ...ids);
    return ids.map((id, i) => {
      const text = data[i] ?? "";
      let message: Message | null = null;
      try {
        message = Message.decode(text);
      } catch {
        // Shown raw: it died because it does not decode.
      }
      return { id, message, data: text };
    });
  }

  requeue(queueName: string): Promise<number> {
    const q = qName(queueName);
    const k = this.keys;
    return this.client.taskqRequeueDead(
      k.dead(q),
      k.deadMessages(q),
      k.queue(q),
      k.messages(q),
      k.wake(q),
    );
  }

  async purge(queueName: string): Promise<number> {
    const q = qName(queueName);
    const [[, count]] = (await this.client
      .multi()
      .zcard(this.keys.dead(q))
      .del(this.keys.dead(q), this.keys.deadMessages(q))
      .exec()) as [[null, number]];
    return count;
  }
}
