import type { OptionCheck } from "@taskq/core";
import { InvalidArgument, optionChecks } from "@taskq/core";
import type { Redis, RedisOptions } from "ioredis";

/**
 * The connection options every taskq Redis package takes (each declares them in its own
 * options type: a published .d.ts cannot import this package).
 */
interface RedisConnectionOptions {
  /** `redis://[:password@]host:port/db`; other connection options refine it. */
  url?: string;
  /** An ioredis client to use (left open by `close()`), e.g. one another package uses too. */
  client?: Redis;
  /**
   * How long an operation waits for a (re)connection before it fails with a
   * ConnectionError, ms. Default 10 000 (as RabbitmqBroker's).
   */
  connectionTimeout?: number;
}

/** An ioredis client, recognised by shape: a user's ioredis copy is not ours. */
const isClient: OptionCheck = (v) =>
  typeof v === "object" &&
  v !== null &&
  typeof (v as Redis).duplicate === "function" &&
  typeof (v as Redis).defineCommand === "function" &&
  typeof (v as Redis).options === "object"
    ? undefined
    : "an ioredis client";

/** Checks for `validateOptions`, for the options of `RedisConnectionOptions` and `namespace`. */
export const connectionOptionChecks = {
  url: optionChecks.nonEmptyString,
  client: isClient,
  connectionTimeout: optionChecks.positiveNumber,
  namespace: optionChecks.nonEmptyString,
} satisfies Record<string, OptionCheck>;

/**
 * The options that are not the package's own (`own`): ioredis's, for a client taskq creates.
 * With `client` given there is nothing to create them for, so any is an error, as is `url`.
 */
export function ioredisOptions(
  where: string,
  options: object,
  own: readonly string[],
): RedisOptions {
  const rest: Record<string, unknown> = {};
  for (const key of Object.keys(options)) {
    const value = (options as Record<string, unknown>)[key];
    if (!own.includes(key) && value !== undefined) rest[key] = value;
  }
  const { client, url } = options as RedisConnectionOptions;
  if (client !== undefined) {
    const ignored = url !== undefined ? "url" : Object.keys(rest)[0];
    if (ignored !== undefined) {
      throw new InvalidArgument(
        `${where} option ${ignored} has no effect with client: set it on the client instead`,
      );
    }
  }
  return rest as RedisOptions;
}
