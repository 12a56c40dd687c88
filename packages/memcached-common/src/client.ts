import type { OptionCheck } from "@taskq/core";
import {
  connectionError as coreConnectionError,
  InvalidArgument,
  type Logger,
  optionChecks,
} from "@taskq/core";
import memjs from "memjs";

/**
 * The connection options of taskq's memcached packages (each declares them in its own
 * options type: a published .d.ts cannot import this package).
 */
export interface MemcachedConnectionOptions {
  servers?: string | string[];
  client?: memjs.Client;
}

const isClient: OptionCheck = (v) =>
  typeof v === "object" &&
  v !== null &&
  typeof (v as memjs.Client).get === "function" &&
  typeof (v as memjs.Client).set === "function"
    ? undefined
    : "a memjs client";

/** Checks for `validateOptions`: the connection options and `namespace`. */
export const memcachedOptionChecks = {
  servers: (v: unknown) =>
    optionChecks.nonEmptyString(v) === undefined ||
    (Array.isArray(v) &&
      v.length > 0 &&
      v.every((s) => optionChecks.nonEmptyString(s) === undefined))
      ? undefined
      : '"host:port" (several comma-separated) or a non-empty array of them',
  client: isClient,
  namespace: optionChecks.nonEmptyString,
} satisfies Record<string, OptionCheck>;

/** memjs logs through console; route it to taskq's logger at debug level instead. */
export function createClient(
  where: string,
  options: MemcachedConnectionOptions,
  log: Logger,
): { client: memjs.Client; owned: boolean } {
  if (options.client !== undefined) {
    if (options.servers !== undefined) {
      throw new InvalidArgument(
        `${where} option servers has no effect with client: set them on the client instead`,
      );
    }
    return { client: options.client, owned: false };
  }
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
