import { InvalidArgument } from "@taskq/core";
import type { RedisOptions } from "ioredis";
import { Redis } from "ioredis";

/**
 * What taskq sets on every client it creates: ioredis must not resend a command that was in
 * flight when the connection dropped (it may have run already); it fails instead. taskq
 * itself writes a command only once the client is ready, waiting up to `connectionTimeout`,
 * so none of its commands waits in ioredis's offline queue (left on for the user's own calls
 * on `client`; with maxRetriesPerRequest 0 they fail at the first failed reconnect).
 */
const REQUIRED = { maxRetriesPerRequest: 0 } as const;

/**
 * Reconnect quickly (50 ms doubling, at most 1 s apart, plus jitter): a producer waiting out
 * a restart gets its connection back within about a second of Redis.
 */
export function reconnectDelay(times: number): number {
  return Math.min(50 * 2 ** Math.max(0, times - 1), 1000) + Math.floor(Math.random() * 50);
}

/**
 * A client for a taskq package: `where` names the package in errors. Commands in one tick go
 * out in one write (auto-pipelining), so many concurrent calls cost few syscalls.
 */
export function createClient(where: string, url: string | undefined, options: RedisOptions): Redis {
  for (const [name, value] of Object.entries(REQUIRED)) {
    if (Object.hasOwn(options, name) && (options as Record<string, unknown>)[name] !== value) {
      throw new InvalidArgument(
        `${where} option ${name} must be ${value} (or left out): taskq waits for the connection ` +
          "itself, up to connectionTimeout, so that no command is sent twice",
      );
    }
  }
  const merged: RedisOptions = {
    enableAutoPipelining: true,
    retryStrategy: reconnectDelay,
    ...options,
    ...REQUIRED,
  };
  return url === undefined ? new Redis(merged) : new Redis(url, merged);
}
