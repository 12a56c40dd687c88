import type { BrokerOptions, OptionCheck } from "@taskq/core";
import { InvalidArgument, optionChecks, validateOptions } from "@taskq/core";
import { redact } from "./connection.js";

/** The kind of RabbitMQ queue `q`, `q.DQ` and `q.XQ` are declared as. */
export type QueueType = "classic" | "quorum";

/** Options of `new RabbitmqBroker()`. */
export interface RabbitmqBrokerOptions extends BrokerOptions {
  /** `amqp://user:pass@host:port/vhost`, or several for failover. Default `amqp://127.0.0.1:5672`. */
  url?: string | string[];
  /**
   * Resolve `send` only once RabbitMQ has confirmed the message. Default false, or true with
   * `queueType: "quorum"` (a quorum queue confirms once a majority of its nodes has it).
   */
  confirmDelivery?: boolean;
  /**
   * `"classic"` (default, Dramatiq's) or `"quorum"`: replicated queues that survive the loss of
   * a minority of a cluster's nodes. Quorum queues have no priorities (`maxPriority` is refused,
   * `brokerPriority` is ignored: messages are delivered in the order they arrived).
   */
  queueType?: QueueType;
  /**
   * Declare queues with `x-max-priority` (1..255) so `brokerPriority` orders messages. Classic
   * queues only.
   */
  maxPriority?: number;
  /** How long dead letters are kept in `<q>.XQ`, ms. Default 7 days (Dramatiq's). */
  deadMessageTtl?: number;
  /**
   * How long an operation (a send, a ping, a connection attempt) waits for a (re)connection
   * before failing, ms. Default 10 000.
   */
  connectionTimeout?: number;
  /** amqplib socket options (TLS certificates, heartbeat, ...). */
  socketOptions?: Record<string, unknown>;
}

/** The options with their defaults filled in. */
export interface ResolvedOptions {
  urls: string[];
  confirmDelivery: boolean;
  queueType: QueueType;
  maxPriority: number | undefined;
  deadMessageTtl: number;
  connectionTimeout: number;
  socketOptions: Record<string, unknown> | undefined;
  middleware: BrokerOptions["middleware"];
}

const WHERE = "RabbitmqBroker";
/** Queue arguments go out as signed 32-bit integers, as Dramatiq (pika) sends them. */
const MAX_INT32 = 2 ** 31 - 1;

const integerIn =
  (min: number, max: number, what: string): OptionCheck =>
  (v) =>
    typeof v === "number" && Number.isInteger(v) && v >= min && v <= max ? undefined : what;

/** A timeout in ms: Node's timers fire at once for anything above 2^31 - 1. */
export const checkTimeout: OptionCheck = (v) =>
  typeof v === "number" && Number.isFinite(v) && v > 0 && v <= MAX_INT32
    ? undefined
    : `a number of ms > 0 and ≤ ${MAX_INT32}`;

const SPEC: Readonly<Record<string, OptionCheck>> = {
  confirmDelivery: optionChecks.boolean,
  queueType: (v) => (v === "classic" || v === "quorum" ? undefined : '"classic" or "quorum"'),
  maxPriority: integerIn(1, 255, "an integer from 1 to 255"),
  deadMessageTtl: integerIn(
    0,
    MAX_INT32,
    `an integer number of ms from 0 to ${MAX_INT32} (RabbitMQ's x-message-ttl, 32 bits)`,
  ),
  connectionTimeout: checkTimeout,
  socketOptions: optionChecks.object,
  middleware: optionChecks.arrayOf(optionChecks.object, "an array of middleware objects"),
};

/** Names readers may reach for, and where that setting really lives. */
const HINTS: Readonly<Record<string, string>> = {
  prefetch: "each consumer's prefetch count is the Worker's prefetch option",
  urls: "pass a list of URLs as url",
  timeout: "did you mean connectionTimeout?",
  queueMode: "did you mean queueType?",
  heartbeat: "pass it in socketOptions or as ?heartbeat= in the URL",
};

function isAmqpUrl(u: unknown): boolean {
  if (typeof u !== "string" || !/^amqps?:\/\//i.test(u)) return false;
  try {
    new URL(u);
    return true;
  } catch {
    return false;
  }
}

/** The URL list, checked without ever echoing a password into the error. */
function checkUrl(url: unknown): string[] {
  if (url === undefined) return ["amqp://127.0.0.1:5672"];
  const urls: unknown[] = Array.isArray(url) ? url : [url];
  if (urls.length > 0 && urls.every(isAmqpUrl)) return urls as string[];
  const shown = urls.map((u) => (typeof u === "string" ? JSON.stringify(redact(u)) : typeof u));
  throw new InvalidArgument(
    `${WHERE} option url must be an amqp:// or amqps:// URL, or a non-empty list of them, got ${
      Array.isArray(url) ? `[${shown.join(", ")}]` : shown[0]
    }`,
  );
}

function camelCase(name: string): string {
  return name.replace(/_([a-z])/g, (_m, c: string) => c.toUpperCase());
}

/**
 * An option nobody reads would be silently ignored: a Dramatiq user's `confirm_delivery`, a
 * `prefetch` that belongs to the Worker. Name it instead.
 */
function checkKnown(options: object): void {
  for (const name of Object.keys(options)) {
    if (name === "url" || Object.hasOwn(SPEC, name)) continue;
    const camel = camelCase(name);
    const hint = Object.hasOwn(SPEC, camel) ? `did you mean ${camel}?` : HINTS[name];
    throw new InvalidArgument(
      `${WHERE} has no option ${JSON.stringify(name)}${hint ? ` (${hint})` : ""}; its options are url, ${Object.keys(SPEC).join(", ")}`,
    );
  }
}

/** Checks every option (InvalidArgument naming the first wrong one) and fills in defaults. */
export function resolveOptions(options: RabbitmqBrokerOptions | undefined): ResolvedOptions {
  validateOptions(WHERE, options, SPEC);
  const given: RabbitmqBrokerOptions = options ?? {};
  checkKnown(given);
  // Own properties only, as validateOptions checked them: nothing comes from a prototype.
  const own = <K extends keyof RabbitmqBrokerOptions>(name: K): RabbitmqBrokerOptions[K] =>
    Object.hasOwn(given, name) ? given[name] : undefined;
  const queueType = own("queueType") ?? "classic";
  const maxPriority = own("maxPriority");
  if (queueType === "quorum" && maxPriority !== undefined) {
    throw new InvalidArgument(
      `${WHERE} option maxPriority cannot be used with queueType "quorum": quorum queues have no priorities (got maxPriority ${maxPriority}); drop maxPriority or use queueType "classic"`,
    );
  }
  return {
    urls: checkUrl(own("url")),
    confirmDelivery: own("confirmDelivery") ?? queueType === "quorum",
    queueType,
    maxPriority,
    deadMessageTtl: own("deadMessageTtl") ?? 7 * 24 * 3600 * 1000,
    connectionTimeout: own("connectionTimeout") ?? 10_000,
    socketOptions: own("socketOptions"),
    middleware: own("middleware"),
  };
}
