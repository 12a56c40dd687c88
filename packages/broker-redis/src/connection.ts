import type { Logger } from "@taskq/core";
import type { RedisOptions } from "ioredis";
import { Redis } from "ioredis";

/** Where a client points, for error messages. */
export function describeClient(client: Redis): string {
  const o = client.options;
  return o.path ? `unix:${o.path}` : `${o.host ?? "127.0.0.1"}:${o.port ?? 6379}`;
}

export function createClient(url: string | undefined, options: RedisOptions): Redis {
  // Commands in one tick go out in one write: many concurrent sends cost few syscalls.
  const merged: RedisOptions = { enableAutoPipelining: true, ...options };
  return url === undefined ? new Redis(merged) : new Redis(url, merged);
}

/**
 * Log a client's connection trouble once per outage, and its recovery, instead of the
 * unhandled-error noise ioredis prints by default. Calls `onRestored` after a reconnect.
 */
export function watchConnection(
  client: Redis,
  log: Logger,
  what: string,
  onRestored: () => void,
): () => void {
  let down = false;
  const onError = (err: Error) => {
    if (down) return;
    down = true;
    log.error(
      { err },
      `Lost the ${what} connection to Redis at ${describeClient(client)}; retrying with backoff.`,
    );
  };
  const onReady = () => {
    if (!down) return;
    down = false;
    log.info(`The ${what} connection to Redis at ${describeClient(client)} is back.`);
    onRestored();
  };
  const onClose = () => {
    if (client.status === "end") return;
    onError(new Error("connection closed"));
  };
  client.on("error", onError);
  client.on("ready", onReady);
  client.on("close", onClose);
  return () => {
    client.off("error", onError);
    client.off("ready", onReady);
    client.off("close", onClose);
  };
}
