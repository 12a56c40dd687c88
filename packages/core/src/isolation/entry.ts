/**
 * The program a pool thread (or child process) runs: imports the actor modules, says which
 * actors it found, then runs one message at a time. A time limit or a cancel aborts the
 * call's AbortSignal here; the worker terminates the whole thread if the call does not end
 * within a short grace.
 */
import { parentPort, workerData } from "node:worker_threads";
import { assertJsonable } from "../encoder.js";
import { ActorNotFound, IsolationError } from "../errors.js";
import { fromWireError, toWireError } from "./crossed-error.js";
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

/** The running call (one at a time per thread): its signal, and its progress reports in flight. */
interface Running {
  id: number;
  controller: AbortController;
  reports: Map<number, { resolve(): void; reject(err: unknown): void }>;
}
let running: Running | undefined;
let nextSeq = 1;

async function boot(init: PoolInit): Promise<void> {
  const g = globalThis as { [LOADING]?: string };
  for (const url of init.preload ?? []) {
    try {
      await import(url);
    } catch (err) {
      channel.send({ type: "bootFailed", module: url, error: toWireError(err) });
      return;
    }
  }
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
  const call: Running = { id, controller: new AbortController(), reports: new Map() };
  running = call;
  try {
    const invoke = registry.get(actorName);
    if (invoke === undefined)
      throw new ActorNotFound(`Actor ${actorName} is not declared in this thread`);
    // Resolves once the worker has recorded it, as setProgress does without isolation.
    const progress = (value: unknown): Promise<void> =>
      new Promise((resolve, reject) => {
        const seq = nextSeq++;
        call.reports.set(seq, { resolve, reject });
        channel.send({ type: "progress", id, seq, value: JSON.stringify(value) });
      });
    const value = await invoke(JSON.parse(text), call.controller.signal, progress);
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
  } finally {
    if (running === call) running = undefined;
  }
}

function progressed(m: Extract<ToPool, { type: "progressed" }>): void {
  const report = running?.id === m.id ? running.reports.get(m.seq) : undefined;
  if (report === undefined) return;
  running?.reports.delete(m.seq);
  if (m.error === undefined) report.resolve();
  else report.reject(fromWireError(m.error));
}

channel.onMessage((m) => {
  if (m.type === "init") void boot(m.init);
  else if (m.type === "run") void run(m.id, m.actorName, m.message);
  else if (m.type === "abort") {
    // A cooperative actor sees its signal abort, with the worker's reason, and may clean up
    // before the worker's grace runs out and it terminates the thread.
    if (running?.id === m.id) running.controller.abort(fromWireError(m.reason));
  } else if (m.type === "progressed") progressed(m);
});

// A thread gets its init as workerData: no round trip before it imports.
if (parentPort !== null && workerData !== null && typeof workerData === "object") {
  void boot(workerData as PoolInit);
}
