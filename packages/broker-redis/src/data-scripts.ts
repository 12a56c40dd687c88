import type { AnyRedis } from "@taskq/redis-common";
import { luaSource } from "./scripts.js";

/**
 * The data-queue scripts, as commands on a client. Each takes the queue's six keys (see
 * lua/lib/data.lua), then attempts, "1" to keep dead items, the wake channel, then its own args.
 */
export interface DataScriptCommands {
  taskqDataPut(...keysAndArgs: (string | number)[]): Promise<number>;
  taskqDataGet(...keysAndArgs: (string | number)[]): Promise<string[]>;
  taskqDataRefresh(...keysAndArgs: (string | number)[]): Promise<string[]>;
  taskqDataDone(...keysAndArgs: (string | number)[]): Promise<number>;
  taskqDataSize(...keysAndArgs: (string | number)[]): Promise<number>;
  taskqDataDead(...keysAndArgs: (string | number)[]): Promise<string[]>;
}

export type DataScriptClient = AnyRedis & DataScriptCommands;

const SCRIPTS: [name: keyof DataScriptCommands, file: string][] = [
  ["taskqDataPut", "data-put"],
  ["taskqDataGet", "data-get"],
  ["taskqDataRefresh", "data-refresh"],
  ["taskqDataDone", "data-done"],
  ["taskqDataSize", "data-size"],
  ["taskqDataDead", "data-dead"],
];

/** How many keys every data-queue script takes. */
export const DATA_KEY_COUNT = 6;

/** Add the data-queue scripts to a client as commands (once per client; EVALSHA after the first call). */
export function withDataScripts<C extends AnyRedis>(client: C): C & DataScriptCommands {
  const target = client as C & DataScriptCommands;
  for (const [name, file] of SCRIPTS) {
    if (typeof target[name] !== "function")
      client.defineCommand(name, { numberOfKeys: DATA_KEY_COUNT, lua: luaSource(file) });
  }
  return target;
}
