/**
 * The program a pool thread (or child process) runs: imports the actor modules, says which
 * actors it found, then runs one message at a time. A time limit or a cancel does not reach
 * in here: the worker terminates the whole thread.
 */
import { parentPort, workerData } from "node:worker_threads";
import { assertJsonable } from "../encoder.js";
import { ActorNotFound, IsolationError } from "../errors.js";
import { toWireError } from "./crossed-error.js";
import type { FromPool, PoolInit, ToPool } from "./protocol.js";
import { openRegistry } from "./registry.js";

const LOADING = Symbol.for("@taskq/core.isolation.loading");

interface Port {
  send(message: FromPool): void;
  onMessage(handler: (message: ToPool) => void): void;
}

function port(): Port {
  const p = parentPort;
  if (p !== null) {
    return { send: (m) => p.postMessage(m), onMessage: (h) => p.on("message", h) };
  }
  if (typeof process.send === "function") {
    return {
      send: (m) => process.send?.(m),
      onMessage: (h) => process.on("message", (m) => h(m as ToPool)),
    };
  }
  throw new IsolationError(
    "The taskq isolation entry runs only as a worker thread or a forked process",
  );
}

const channel = port();
const registry = openRegistry();
const never = new AbortController().signal;

async function boot(init: PoolInit): Promise<void> {
  const g = globalThis as { [LOADING]?: string };
  for (const url of init.modules) {
    g[LOADING] = url;
    try {
      await import(url);
    } catch (err) {
      channel.send({ type: "bootFailed", module: url, error: toWireError(err) });
      return;
    } finally {
      g[LOADING] = undefined;
    }
  }
  channel.send({ type: "ready", actors: [...registry.keys()] });
}

async function run(id: number, actorName: string, text: string): Promise<void> {
  try {
    const invoke = registry.get(actorName);
    if (invoke === undefined)
      throw new ActorNotFound(`Actor ${actorName} is not declared in this thread`);
    const progress = async (value: unknown): Promise<void> => {
      channel.send({ type: "progress", id, value: JSON.stringify(value) });
    };
    const value = await invoke(JSON.parse(text), never, progress);
    // Only what JSON carries comes back, as on the wire: anything it would drop or mangle
    // is an EncodeError naming it, never a silent `{}`. undefined is null.
    if (value !== undefined) assertJsonable(value, "result");
    channel.send({
      type: "done",
      id,
      result: value === undefined ? "null" : JSON.stringify(value),
    });
  } catch (err) {
    channel.send({ type: "failed", id, error: toWireError(err) });
  }
}

channel.onMessage((m) => {
  if (m.type === "init") void boot(m.init);
  else if (m.type === "run") void run(m.id, m.actorName, m.message);
});

// A thread gets its init as workerData: no round trip before it imports.
if (parentPort !== null && workerData !== null && typeof workerData === "object") {
  void boot(workerData as PoolInit);
}
