import { type ChildProcess, fork } from "node:child_process";
import { watch } from "node:fs";
import { fileURLToPath } from "node:url";
import { getLogger } from "@taskq/core";
import type { WorkerCommand } from "./args.js";
import { ExitCode } from "./exit-codes.js";
import { configureLogging } from "./logging.js";
import { MainProcessModules } from "./main-process-modules.js";
import { removePidFile, writePidFile } from "./pid-file.js";
import { runSchedulesInMainProcess } from "./scheduler-commands.js";
import { version } from "./version.js";
import type { WorkerReport } from "./worker-process.js";

export const ROLE_ENV = "TASKQ_CLI_ROLE";
const COMMAND_ENV = "TASKQ_CLI_COMMAND";
const INDEX_ENV = "TASKQ_CLI_WORKER";
/** A worker that dies this soon after starting is restarted after a pause, not at once. */
const QUICK_DEATH = 2000;
const RESTART_PAUSE = 1000;
const WATCHED = /\.(c|m)?[jt]sx?$|\.json$/;

interface Slot {
  index: number;
  child: ChildProcess | undefined;
  ready: boolean;
  startedAt: number;
  /** This exit is expected (shutdown or reload): do not replace the process for it. */
  stopping: boolean;
  /** The process said it is past a recycling limit: replace it at once, no error. */
  recycling: boolean;
}

/** The command a worker process was started with (it runs the same file). */
export function workerCommandFromEnv(): { command: WorkerCommand; index: number } | undefined {
  if (process.env[ROLE_ENV] !== "worker") return undefined;
  return {
    command: JSON.parse(process.env[COMMAND_ENV] ?? "{}") as WorkerCommand,
    index: Number(process.env[INDEX_ENV]),
  };
}

/**
 * The main process: forks the worker processes and keeps them up. A worker that crashes is
 * replaced (the reason logged); one that fails to boot ends the command with its exit
 * code. SIGTERM/SIGINT stop gracefully and a second one forces; SIGHUP (or a change under
 * --watch) restarts the workers on fresh code.
 */
export function runSupervisor(command: WorkerCommand): Promise<number> {
  process.title = "taskq: main";
  configureLogging("MainProcess", command.verbose, command.logFile);
  const log = getLogger("taskq.MainProcess");
  log.info(`taskq ${version()} is booting up.`);
  if (command.pidFile !== undefined) writePidFile(command.pidFile);

  // Worker processes run the CLI's own entry (ESM, beside this bundle in dist/), whichever
  // build this is: tsup's shims give the CJS build an import.meta.url too.
  const entry = fileURLToPath(new URL("./cli.js", import.meta.url));
  const slots: Slot[] = Array.from({ length: command.processes }, (_, index) => ({
    index,
    child: undefined,
    ready: false,
    startedAt: 0,
    stopping: false,
    recycling: false,
  }));
  let shuttingDown = false;
  let signals = 0;
  let finish!: (code: number) => void;
  const done = new Promise<number>((resolve) => {
    finish = resolve;
  });

  let ended = false;
  let exitCode: number = ExitCode.ok;
  const plugins = new MainProcessModules(
    () => slots.filter((s) => s.ready).map((s) => s.child!),
    log,
  );
  const end = (code: number) => {
    if (ended) return;
    ended = true;
    if (command.pidFile !== undefined) removePidFile(command.pidFile);
    void Promise.all([plugins.close(), schedules?.stop()]).finally(() => finish(code));
  };

  const start = (slot: Slot) => {
    slot.ready = false;
    slot.stopping = false;
    slot.recycling = false;
    slot.startedAt = Date.now();
    const child = fork(entry, [], {
      env: {
        ...process.env,
        [ROLE_ENV]: "worker",
        [COMMAND_ENV]: JSON.stringify(command),
        [INDEX_ENV]: String(slot.index),
      },
      stdio: ["ignore", "inherit", "inherit", "ipc"],
    });
    slot.child = child;
    child.on("message", (message: WorkerReport) => {
      if (message.type === "ready") {
        slot.ready = true;
        for (const module of message.modules) void plugins.load(module);
      } else if (message.type === "recycling") {
        slot.recycling = true;
      } else if (message.type === "answer") {
        plugins.answered(child, message.id, message.answers);
      } else if (message.type === "final") {
        plugins.final(message.topic, message.answers);
      }
    });
    child.on("exit", (code, signal) => {
      plugins.gone(child);
      exited(slot, child, code, signal);
    });
  };

  const exited = (
    slot: Slot,
    child: ChildProcess,
    code: number | null,
    signal: NodeJS.Signals | null,
  ) => {
    if (slot.child !== child) return;
    slot.child = undefined;
    const how = signal ? `signal ${signal}` : `code ${code}`;
    if (shuttingDown || slot.stopping) {
      if (shuttingDown && slots.every((s) => s.child === undefined)) end(exitCode);
      return;
    }
    if (!slot.ready && (code === ExitCode.importOrBroker || code === ExitCode.connection)) {
      log.error(`Worker process ${slot.index} failed to boot (exit ${code}); shutting down.`);
      shutdown("SIGTERM", code);
      return;
    }
    if (slot.recycling && code === ExitCode.ok) {
      log.info(
        `Worker process ${slot.index} (PID ${child.pid}) was recycled; starting a fresh one.`,
      );
      start(slot);
      return;
    }
    const quick = Date.now() - slot.startedAt < QUICK_DEATH;
    log.error(
      `Worker process ${slot.index} (PID ${child.pid}) died with ${how}; starting a replacement${quick ? ` in ${RESTART_PAUSE} ms` : ""}.`,
    );
    if (quick) setTimeout(() => !shuttingDown && start(slot), RESTART_PAUSE);
    else start(slot);
  };

  const shutdown = (signal: NodeJS.Signals, code: number = ExitCode.ok) => {
    exitCode = code;
    shuttingDown = true;
    log.info(`Sending ${signal} to worker processes...`);
    for (const slot of slots) slot.child?.kill("SIGTERM");
    if (slots.every((s) => s.child === undefined)) end(exitCode);
  };

  const onStopSignal = (signal: NodeJS.Signals) => {
    signals++;
    if (signals === 1) {
      shutdown(signal);
      return;
    }
    log.warn(`Second ${signal}: killing the worker processes.`);
    for (const slot of slots) slot.child?.kill("SIGKILL");
    end(ExitCode.killed);
  };

  const reload = (why: string) => {
    if (shuttingDown) return;
    log.info(`${why}: restarting the worker processes on fresh code.`);
    for (const slot of slots) {
      const child = slot.child;
      if (child === undefined) {
        start(slot);
        continue;
      }
      slot.stopping = true;
      child.once("exit", () => {
        if (!shuttingDown) start(slot);
      });
      child.kill("SIGTERM");
    }
  };

  process.on("SIGTERM", () => onStopSignal("SIGTERM"));
  process.on("SIGINT", () => onStopSignal("SIGINT"));
  process.on("SIGHUP", () => reload("SIGHUP received"));

  if (command.watch !== undefined) {
    let timer: NodeJS.Timeout | undefined;
    const watcher = watch(command.watch, { recursive: true }, (_event, file) => {
      if (file === null || !WATCHED.test(file) || file.includes("node_modules")) return;
      clearTimeout(timer);
      timer = setTimeout(() => reload(`${file} changed`), 200);
    });
    void done.then(() => watcher.close());
  }

  const schedules = command.scheduler
    ? runSchedulesInMainProcess(command.modules, command.paths, log, (code) =>
        shutdown("SIGTERM", code),
      )
    : undefined;
  for (const slot of slots) start(slot);
  return done;
}
