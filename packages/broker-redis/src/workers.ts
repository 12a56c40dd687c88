import type { WorkerInfo } from "@taskq/core";
import { qName } from "@taskq/core";
import type { RedisConnection } from "@taskq/redis-common";
import { execAll } from "@taskq/redis-common";
import type { Keys } from "./keys.js";
import type { ScriptClient } from "./scripts.js";

/** Most workers one call lists: the read stays bounded whatever the fleet. */
export const MAX_WORKERS = 1000;

/**
 * The workers alive by heartbeat (younger than `heartbeatTimeout`), most recently seen first,
 * each with the queues of its registry (delay queues folded into their queue). A worker
 * without a registry (a Dramatiq process, or one that has fetched nothing) lists no queues.
 */
export async function listWorkers(
  connection: RedisConnection<ScriptClient>,
  keys: Keys,
  heartbeatTimeout: number,
  limit = MAX_WORKERS,
): Promise<WorkerInfo[]> {
  const count = Math.max(0, Math.min(Math.floor(limit), MAX_WORKERS));
  if (count === 0) return [];
  return connection.run(
    "list the workers",
    async (client) => {
      const beats = await client.zrevrangebyscore(
        keys.heartbeats,
        "+inf",
        Date.now() - heartbeatTimeout,
        "WITHSCORES",
        "LIMIT",
        0,
        count,
      );
      const ids = beats.filter((_, i) => i % 2 === 0);
      if (ids.length === 0) return [];
      let registries: string[][];
      if (keys.cluster) {
        // Registries hash to different slots, and a cluster pipeline must stay in one.
        registries = await Promise.all(ids.map((id) => client.smembers(keys.registryOf(id))));
      } else {
        const pipeline = client.pipeline();
        for (const id of ids) pipeline.smembers(keys.registryOf(id));
        registries = (await execAll(pipeline)) as string[][];
      }
      return ids.map((id, i) => ({
        id,
        lastSeen: Number(beats[2 * i + 1]),
        queues: [...new Set((registries[i] ?? []).map((q) => qName(q)))].sort(),
      }));
    },
    { idempotent: true },
  );
}
