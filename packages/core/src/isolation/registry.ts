/**
 * How a pool thread finds isolated actors. The thread imports the module that declared an
 * actor; while it does, every actor declared (by whichever copy of @taskq/core the module
 * loads, ESM or CJS) records here how to run it. Both the registry and the "module being
 * loaded" marker live on globalThis under registered symbols for that reason.
 */
import { runInContext } from "../context.js";
import type { ProgressRecorder } from "../lifecycle/lookup.js";
import { PROGRESS_OWNER } from "../lifecycle/lookup.js";
import { Message } from "../message.js";
import { MessageProxy } from "../message-proxy.js";

const REGISTRY = Symbol.for("@taskq/core.isolation.registry");
const LOADING = Symbol.for("@taskq/core.isolation.loading");

/** Runs one message of an actor inside a pool thread. */
export type IsolatedInvoke = (
  message: unknown,
  signal: AbortSignal,
  progress: (value: unknown) => Promise<void>,
) => unknown;

type Global = {
  [REGISTRY]?: Map<string, IsolatedInvoke>;
  [LOADING]?: string;
};

/** Thread side: start recording the actors modules declare from now on. */
export function openRegistry(): Map<string, IsolatedInvoke> {
  const registry = new Map<string, IsolatedInvoke>();
  (globalThis as Global)[REGISTRY] = registry;
  return registry;
}

/** The URL of the actor module being loaded by `loadActorModule` or a pool thread, if any. */
export function loadingModule(): string | undefined {
  return (globalThis as Global)[LOADING];
}

/**
 * Import an actor module with its URL known to the actors it declares, so isolated actors
 * there need no `actorModule` option: what the `taskq` CLI does with the modules it loads.
 * `load` imports it (`() => import(url)`), so the import resolves from the caller's place.
 */
export async function loadActorModule<T>(url: string, load: () => Promise<T>): Promise<T> {
  const g = globalThis as Global;
  const previous = g[LOADING];
  g[LOADING] = url;
  try {
    return await load();
  } finally {
    g[LOADING] = previous;
  }
}

/** Called for every declared actor: inside a pool thread, records how to run it. */
export function noteDeclared(actorName: string, fn: (...args: unknown[]) => unknown): void {
  const registry = (globalThis as Global)[REGISTRY];
  if (registry === undefined) return;
  registry.set(actorName, (data, signal, progress) => {
    const message = Message.fromDict(data);
    const proxy = new MessageProxy(message) as MessageProxy & {
      [PROGRESS_OWNER]?: ProgressRecorder;
    };
    // setProgress here forwards to the worker, whose MessageState records it (or warns).
    proxy[PROGRESS_OWNER] = { recordProgress: (_proxy, value) => progress(value) };
    const context = { proxy, signal, interrupt: () => false };
    return runInContext(context, () => fn(...message.callArguments()));
  });
}
