/**
 * One pool member: a worker thread or a forked child process, behind the same small surface
 * so the pool does not care which.
 */
import { fork } from "node:child_process";
import { fileURLToPath } from "node:url";
import { Worker as Thread } from "node:worker_threads";
import type { Isolation } from "../options.js";
import type { FromPool, PoolInit, ToPool } from "./protocol.js";

export interface Member {
  send(message: ToPool): void;
  /** Keep (or stop keeping) the worker process alive for this member. */
  hold(held: boolean): void;
  /** Stop it at once, whatever it runs; resolves once it is gone. */
  kill(): Promise<void>;
}

export interface MemberEvents {
  message(message: FromPool): void;
  /** It ended on its own (an uncaught error, process.exit, out of memory). */
  exit(reason: string): void;
}

export function startMember(
  kind: Isolation,
  entry: URL,
  init: PoolInit,
  events: MemberEvents,
): Member {
  return kind === "thread" ? startThread(entry, init, events) : startProcess(entry, init, events);
}

function startThread(entry: URL, init: PoolInit, events: MemberEvents): Member {
  const thread = new Thread(entry, { workerData: init });
  let killing = false;
  let lastError: unknown;
  thread.on("message", (m: FromPool) => events.message(m));
  thread.on("error", (err) => {
    lastError = err;
  });
  thread.on("exit", (code) => {
    if (killing) return;
    const why =
      lastError instanceof Error ? `${lastError.name}: ${lastError.message}` : `exit code ${code}`;
    events.exit(`the pool thread ended (${why})`);
  });
  return {
    send: (m) => thread.postMessage(m),
    hold: (held) => (held ? thread.ref() : thread.unref()),
    kill: async () => {
      killing = true;
      // Held until it is gone: an idle member is unref'd, and a script awaiting
      // worker.stop() with nothing else alive would otherwise end mid-await (exit code 13).
      thread.ref();
      await thread.terminate();
    },
  };
}

function startProcess(entry: URL, init: PoolInit, events: MemberEvents): Member {
  const child = fork(fileURLToPath(entry), [], { serialization: "json", stdio: "inherit" });
  let killing = false;
  const gone = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  child.on("message", (m) => events.message(m as FromPool));
  child.on("error", () => {
    // An exit follows; the exit handler reports it.
  });
  child.once("exit", (code, signal) => {
    if (killing) return;
    events.exit(`the pool process ended (${signal ?? `exit code ${code}`})`);
  });
  child.send({ type: "init", init } satisfies ToPool);
  return {
    send: (m) => {
      if (child.connected) child.send(m);
    },
    hold: (held) => {
      // The IPC channel is what keeps the parent alive, besides the child itself.
      const ipc = (child as { channel?: { ref(): void; unref(): void } | null }).channel;
      if (held) {
        child.ref();
        ipc?.ref();
      } else {
        child.unref();
        ipc?.unref();
      }
    },
    kill: async () => {
      killing = true;
      // Held until its exit is seen, for the same reason as a thread's.
      child.ref();
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
      await gone;
    },
  };
}
