import { connectionError as coreConnectionError, type Logger } from "@taskq/core";
import memjs from "memjs";

export interface MemcachedConnectionOptions {
  /** `host:port`, several comma-separated, or a list. Default `127.0.0.1:11211`. */
  servers?: string | string[];
  /** A memjs client to use (left open by `close()`). */
  client?: memjs.Client;
}

/** memjs logs through console; route it to taskq's logger at debug level instead. */
export function createClient(
  options: MemcachedConnectionOptions,
  log: Logger,
): { client: memjs.Client; owned: boolean } {
  if (options.client !== undefined) return { client: options.client, owned: false };
  const servers = [options.servers ?? "127.0.0.1:11211"].flat().join(",");
  const client = memjs.Client.create(servers, {
    retries: 2,
    timeout: 1,
    logger: { log: (...args: unknown[]) => log.debug(args.map(String).join(" ")) },
  } as memjs.ClientOptions);
  return { client, owned: true };
}

/**
 * A TTL in memcached's terms: whole seconds, on a clock that ticks once a second, so an item
 * may expire up to a second early; one second more guarantees at least `ttlMs`. More than
 * 30 days reads as a Unix time.
 */
export function expiration(ttlMs: number): number {
  const seconds = Math.ceil(ttlMs / 1000) + 1;
  return seconds > 30 * 24 * 3600 ? Math.floor(Date.now() / 1000) + seconds : seconds;
}

/** The servers a client talks to, for messages. */
export function describe(client: memjs.Client): string {
  const servers =
    (client as unknown as { servers?: { host: string; port: number }[] }).servers ?? [];
  return servers.map((s) => `${s.host}:${s.port}`).join(", ") || "memcached";
}

/** memjs has no connected state to read, so every failure reads as ConnectionFailed. */
export function connectionError(client: memjs.Client, doing: string, err: unknown): Error {
  return coreConnectionError("memcached", describe(client), doing, err, false);
}
