import type { DeadLetterInfo } from "@taskq/core";
import { Message, qName } from "@taskq/core";
import type { RedisConnection } from "@taskq/redis-common";
import { execAll } from "@taskq/redis-common";
import type { Keys } from "./keys.js";
import type { ScriptClient } from "./scripts.js";

/** The operators' tools on a queue's dead letters (`taskq dead-letters`). */
export class DeadLetters {
  private readonly connection: RedisConnection<ScriptClient>;
  private readonly keys: Keys;

  constructor(connection: RedisConnection<ScriptClient>, keys: Keys) {
    this.connection = connection;
    this.keys = keys;
  }

  /** The dead letters of a queue, oldest first; undecodable ones shown raw. */
  async list(queueName: string, limit = 0): Promise<DeadLetterInfo[]> {
    const q = qName(queueName);
    const k = this.keys;
    const [ids, data] = await this.connection.run(
      `list the dead letters of ${q}`,
      async (client) => {
        const ids = await client.zrange(k.dead(q), "0", String(limit - 1));
        if (ids.length === 0) return [ids, []] as const;
        return [ids, await client.hmget(k.deadMessages(q), ...ids)] as const;
      },
      { idempotent: true },
    );
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
    return this.connection.run(`requeue the dead letters of ${q}`, (client) =>
      client.taskqRequeueDead(k.dead(q), k.deadMessages(q), k.queue(q), k.messages(q), k.wake(q)),
    );
  }

  async purge(queueName: string): Promise<number> {
    const q = qName(queueName);
    const k = this.keys;
    const [count] = await this.connection.run(`purge the dead letters of ${q}`, (client) =>
      execAll(client.multi().zcard(k.dead(q)).del(k.dead(q), k.deadMessages(q))),
    );
    return count as number;
  }
}
