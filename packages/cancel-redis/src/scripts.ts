import { readFileSync } from "node:fs";
import type { AnyRedis } from "@taskq/redis-common";

/** The cancel scripts, as commands on a client (EVALSHA, loaded once). */
export interface CancelCommands {
  taskqCancel(marks: string, channel: string, ttl: number, ids: string): Promise<number>;
  taskqCanceled(marks: string, ttl: number, ...ids: string[]): Promise<number[]>;
}

export type CancelClient = AnyRedis & CancelCommands;

const SCRIPTS: [name: keyof CancelCommands, file: string][] = [
  ["taskqCancel", "cancel"],
  ["taskqCanceled", "check"],
];

/** Add the scripts to a client as commands (once per client). */
export function withCancelScripts(client: AnyRedis): CancelClient {
  const target = client as CancelClient;
  for (const [name, file] of SCRIPTS) {
    if (typeof target[name] !== "function") {
      const lua = readFileSync(new URL(`./lua/${file}.lua`, import.meta.url), "utf8");
      client.defineCommand(name, { numberOfKeys: 1, lua });
    }
  }
  return target;
}
