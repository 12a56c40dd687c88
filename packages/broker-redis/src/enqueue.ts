import { execAll } from "@taskq/redis-common";
import type { ChainableCommander } from "ioredis";
import type { Keys } from "./keys.js";
import type { ScriptClient, ScriptCommands } from "./scripts.js";

type Pairs = (string | Uint8Array)[];

/** The outcome of an enqueue call: messages stored, and replicas that acknowledged (WAIT). */
export interface Enqueued {
  stored: number;
  /** Replicas known to have the write; `Infinity` when none were asked for. */
  replicas: number;
}

/**
 * One enqueue script call on queue `q`; with `replicas` > 0 it is followed by `WAIT replicas
 * timeout` in the same pipeline, so on the same connection and node (a Cluster client sends
 * a pipeline to the node of its keys): WAIT then counts the replicas that have this write.
 * A pipeline the cluster refused (MOVED on a stale slot map, CLUSTERDOWN) did not run, and
 * RedisConnection runs it again.
 */
export async function enqueueAndWait(
  client: ScriptClient,
  keys: Keys,
  q: string,
  resend: "0" | "1",
  pairs: Pairs,
  replicas: number,
  timeout: number,
): Promise<Enqueued> {
  const args = [keys.queue(q), keys.messages(q), keys.wake(q), resend] as const;
  if (replicas === 0) {
    return { stored: await client.taskqEnqueue(...args, ...pairs), replicas: Infinity };
  }
  const batch = client.pipeline() as ChainableCommander & ScriptCommands;
  batch.taskqEnqueue(...args, ...pairs);
  batch.wait(replicas, timeout);
  const [stored, acked] = (await execAll(batch)) as [number, number];
  return { stored, replicas: acked };
}
