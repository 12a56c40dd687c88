import { readFileSync } from "node:fs";
import type { AnyRedis } from "@taskq/redis-common";

/** The state scripts, as commands on a client (EVALSHA, loaded once; ioredis handles NOSCRIPT). */
export interface StateCommands {
  taskqStateWrite(
    all: string,
    prefix: string,
    updates: string,
    ttl: number,
    cluster: "0" | "1",
  ): Promise<number[]>;
  taskqStateRead(all: string, prefix: string, ...ids: string[]): Promise<string[]>;
  taskqStateList(all: string, ...args: (string | number)[]): Promise<string[]>;
  taskqStateCount(all: string, ...args: (string | number)[]): Promise<number>;
  taskqStateCleanup(all: string, prefix: string, limit: number): Promise<number>;
}

export type StateClient = AnyRedis & StateCommands;

const SCRIPTS: [name: keyof StateCommands, file: string][] = [
  ["taskqStateWrite", "write"],
  ["taskqStateRead", "read"],
  ["taskqStateList", "list"],
  ["taskqStateCount", "count"],
  ["taskqStateCleanup", "cleanup"],
];

let sources: Map<string, string> | undefined;

function read(file: string): string {
  return readFileSync(new URL(`./lua/${file}.lua`, import.meta.url), "utf8");
}

function source(file: string): string {
  if (sources === undefined) {
    const common = read("common");
    sources = new Map(SCRIPTS.map(([, f]) => [f, `${common}\n${read(f)}`]));
  }
  return sources.get(file)!;
}

/** Add the scripts to a client as commands (once per client). */
export function withStateScripts(client: AnyRedis): StateClient {
  const target = client as StateClient;
  for (const [name, file] of SCRIPTS) {
    if (typeof target[name] !== "function")
      client.defineCommand(name, { numberOfKeys: 1, lua: source(file) });
  }
  return target;
}
