import type { Broker, MainProcessModule } from "@taskq/core";
import { lazyLogger, Worker } from "@taskq/core";
import type { WorkerCommand } from "./args.js";
import { loadBroker } from "./connect.js";
import { CliError, ExitCode } from "./exit-codes.js";
import { configureLogging } from "./logging.js";
import { isolationPreload } from "./modules.js";
import { watchLimits } from "./recycle.js";

/** Messages from a worker process to the main process. */
export type WorkerReport =
  | { type: "ready"; modules: MainProcessModule[] }
  | { type: "failed"; exitCode: number; message: string }
  /** Past --max-tasks-per-child or --max-memory: it stops and exits, to be replaced. */
  | { type: "recycling"; reason: string }
  | { type: "answer"; id: number; answers: unknown[] }
  /** Unasked, once its worker has stopped: the last answers to a topic asked before. */
  | { type: "final"; topic: string; answers: unknown[] };

/** Messages from the main process to a worker process. */
export type MainRequest = { type: "ask"; id: number; topic: string };

function report(message: WorkerReport): Promise<void> {
  return new Promise((resolve) => {
    if (process.send === undefined || !process.connected) resolve();
    else process.send(message, undefined, {}, () => resolve());
  });
}

/**
 * One worker process: loads the modules, starts a Worker on the broker they set, and stops
 * gracefully on SIGTERM/SIGINT (or when the main process goes away).
 */
export async function runWorkerProcess(command: WorkerCommand, index: number): Promise<void> {
  const name = `WorkerProcess(${index})`;
  process.title = `taskq: worker ${index}`;
  configureLogging(name, command.verbose, command.logFile);
  // Lazy: the modules loaded below may plug their own logger in (setLogger), and this
  // process's lines then go there too.
  const log = lazyLogger(`taskq.${name}`);
  let broker: Broker;
  try {
    broker = await loadBroker(command);
  } catch (err) {
    const exitCode = err instanceof CliError ? err.exitCode : ExitCode.importOrBroker;
    const message = (err as Error).message;
    log.error(message);
    await report({ type: "failed", exitCode, message });
    process.exit(exitCode);
  }
  const worker = new Worker(broker, {
    concurrency: command.concurrency,
    ...(command.isolationThreads ? { isolationThreads: command.isolationThreads } : {}),
    isolationPreload: isolationPreload(command.modules),
    ...(command.queues ? { queues: command.queues } : {}),
    ...(command.queuePriorities ? { queuePriorities: command.queuePriorities } : {}),
    ...(command.queueWeights ? { queueWeights: command.queueWeights } : {}),
  });

  // Questions from modules the middleware run in the main process (metrics, say).
  const asked = new Set<string>();
  const answer = async (topic: string): Promise<unknown[]> => {
    try {
      return await Promise.all(
        broker.middleware
          .filter((m) => typeof m.answerMainProcess === "function")
          .map((m) => m.answerMainProcess!(topic)),
      );
    } catch (err) {
      log.error({ err }, `Could not answer ${topic}.`);
      return [];
    }
  };
  process.on("message", (request: MainRequest) => {
    if (request?.type !== "ask") return;
    asked.add(request.topic);
    void answer(request.topic).then((answers) =>
      report({ type: "answer", id: request.id, answers }),
    );
  });

  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    log.info("Stopping worker process...");
    try {
      await worker.stop({ timeout: command.shutdownTimeout });
      // What this process did since the main process last asked (its metrics, say) would
      // be lost with it: answer once more, unasked, now that nothing runs any more.
      for (const topic of asked) {
        await report({ type: "final", topic, answers: await answer(topic) });
      }
      await broker.close();
    } catch (err) {
      log.error({ err }, "Worker process did not stop cleanly.");
      process.exit(ExitCode.killed);
    }
    log.info("Worker process stopped.");
    process.exit(ExitCode.ok);
  };
  process.on("SIGTERM", stop);
  process.on("SIGINT", stop);
  // The main process decides about SIGHUP; a worker only ever stops.
  process.on("SIGHUP", () => {});
  process.on("disconnect", stop);
  // Before start: the worker reads the hook lists as it boots.
  watchLimits(broker, worker, command, log, (reason) => {
    void report({ type: "recycling", reason }).then(stop);
  });
  try {
    await worker.start();
  } catch (err) {
    // An isolation pool that cannot import an actor module, say: a boot error, as an import is.
    const message = `Worker could not start: ${(err as Error).message}`;
    log.error(message);
    await report({ type: "failed", exitCode: ExitCode.importOrBroker, message });
    process.exit(ExitCode.importOrBroker);
  }
  log.info("Worker process is ready for action.");
  const modules = broker.middleware
    .map((m) => m.mainProcessModule)
    .filter((m): m is MainProcessModule => m !== undefined);
  await report({ type: "ready", modules });
}
