import { readFileSync } from "node:fs";
import type { AnyRedis } from "@taskq/redis-common";

type Arg = string | number | Uint8Array;

/** The broker's Lua scripts, as commands on a client: EVALSHA, loaded once (ioredis handles NOSCRIPT). */
export interface ScriptCommands {
  /** One message or a batch: id1, data1, id2, data2, ...; `resend` "1" skips ids already stored. */
  taskqEnqueue(
    queue: string,
    messages: string,
    channel: string,
    resend: "0" | "1",
    ...pairs: Arg[]
  ): Promise<number>;
  taskqFetch(
    queue: string,
    messages: string,
    acks: string,
    registry: string,
    queueName: string,
    want: number,
    ...ackIds: string[]
  ): Promise<string[]>;
  /** taskqFetch without the registry key (cluster mode: the registry is in another slot). */
  taskqFetchTagged(
    queue: string,
    messages: string,
    acks: string,
    queueName: string,
    want: number,
    ...ackIds: string[]
  ): Promise<string[]>;
  taskqAck(acks: string, messages: string, ...ids: string[]): Promise<number>;
  taskqNack(
    acks: string,
    messages: string,
    dead: string,
    deadMessages: string,
    now: number,
    ...idAndData: (string | Buffer)[]
  ): Promise<number>;
  taskqRequeue(
    acks: string,
    messages: string,
    queue: string,
    channel: string,
    ...ids: string[]
  ): Promise<number>;
  taskqPromote(
    delayAcks: string,
    delayMessages: string,
    queue: string,
    messages: string,
    delayedId: string,
    newId: string,
    data: string | Uint8Array,
    channel: string,
  ): Promise<number>;
  /** A dead worker's acks set on one queue, given back to the queue. */
  taskqGiveBack(acks: string, messages: string, queue: string, channel: string): Promise<number>;
  taskqExpireDead(dead: string, deadMessages: string, cutoff: number, max: number): Promise<number>;
  taskqRequeueDead(
    dead: string,
    deadMessages: string,
    queue: string,
    messages: string,
    channel: string,
  ): Promise<number>;
  taskqPickDead(
    dead: string,
    deadMessages: string,
    queue: string,
    messages: string,
    mode: "requeue" | "purge",
    channel: string,
    ...ids: string[]
  ): Promise<number>;
}

export type ScriptClient = AnyRedis & ScriptCommands;
const SCRIPTS: [name: keyof ScriptCommands, file: string, keys: number][] = [
  ["taskqEnqueue", "enqueue", 2],
  ["taskqFetch", "fetch", 4],
  ["taskqFetchTagged", "fetch", 3],
  ["taskqAck", "ack", 2],
  ["taskqNack", "nack", 4],
  ["taskqRequeue", "requeue", 3],
  ["taskqPromote", "promote", 4],
  ["taskqGiveBack", "give-back", 3],
  ["taskqRequeueDead", "requeue-dead", 4],
  ["taskqExpireDead", "expire-dead", 2],
  ["taskqPickDead", "pick-dead", 4],
];

const INCLUDE = /^--!include (\S+)$/gm;

function read(file: string): string {
  return readFileSync(new URL(`./lua/${file}`, import.meta.url), "utf8");
}

/** A script's text with its `--!include lib/x.lua` lines replaced by those files (one copy of shared Lua). */
export function luaSource(file: string): string {
  return read(`${file}.lua`).replace(INCLUDE, (_, included: string) => read(included).trimEnd());
}

let sources: Map<string, string> | undefined;

function source(file: string): string {
  sources ??= new Map(SCRIPTS.map(([, f]) => [f, luaSource(f)]));
  return sources.get(file)!;
}

/** Add the scripts to a client as commands (once per client). */
export function withScripts(client: AnyRedis): ScriptClient {
  const target = client as ScriptClient;
  for (const [name, file, numberOfKeys] of SCRIPTS) {
    if (typeof target[name] !== "function")
      client.defineCommand(name, { numberOfKeys, lua: source(file) });
  }
  return target;
}
