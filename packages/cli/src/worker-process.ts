import type { Broker, MainProcessModule } from "@taskq/core";
import { ConnectionError, getLogger, peekBroker, Worker } from "@taskq/core";
import type { WorkerCommand } from "./args.js";
import { CliError, ExitCode } from "./exit-codes.js";
import { configureLogging } from "./logging.js";
import { importModules } from "./modules.js";

/** Messages from a worker process to the main process. */
export type WorkerReport =
  | { type: "ready"; modules: MainProcessModule[] }
  | { type: "failed"; exitCode: number; message: string }
  | { type: "answer"; id: number; answers: unknown[] };

/** Messages from the main process to a worker process. */
export type MainRequest = { type: "ask"; id: number; topic: string };

const BOOT_TIMEOUT = 30_000;

function report(message: WorkerReport): void {
  process.send?.(message);
}

/** The broker the modules set, checked reachable: exit 2 when there is none, 3 when unreachable. */
export async function loadBroker(
  command: Pick<WorkerCommand, "modules" | "paths">,
): Promise<Broker> {
  await importModules(command.modules, command.paths);
  const broker = peekBroker();
  if (broker === undefined) {
    throw new CliError(
      ExitCode.importOrBroker,
      `None of ${command.modules.join(", ")} set a broker: call setBroker(broker) in one of them`,
    );
  }
  try {
    await Promise.race([
      broker.ping(),
      new Promise((_, reject) =>
        setTimeout(
          () => reject(new Error(`no answer within ${BOOT_TIMEOUT} ms`)),
          BOOT_TIMEOUT,
        ).unref(),
      ),
    ]);
  } catch (err) {
    const exitCode =
      err instanceof ConnectionError || !(err instanceof CliError)
        ? ExitCode.connection
        : ExitCode.importOrBroker;
    throw new CliError(exitCode, `Broker connection failed: ${(err as Error).message}`, {
      cause: err,
    });
  }
  return broker;
}

/**
 * One worker process: loads the modules, starts a Worker on the broker they set, and stops
 * gracefully on SIGTERM/SIGINT (or when the main process goes away).
 */
export async function runWorkerProcess(command: WorkerCommand, index: number): Promise<void> {
  const name = `WorkerProcess(${index})`;
  process.title = `taskq: worker ${index}`;
  configureLogging(name, command.verbose, command.logFile);
  const log = getLogger(`taskq.${name}`);
  let broker: Broker;
  try {
    broker = await loadBroker(command);
  } catch (err) {
    const exitCode = err instanceof CliError ? err.exitCode : ExitCode.importOrBroker;
    const message = (err as Error).message;
    log.error(message);
    report({ type: "failed", exitCode, message });
    process.exit(exitCode);
  }
  const worker = new Worker(broker, {
    concurrency: command.concurrency,
    ...(command.queues ? { queues: command.queues } : {}),
  });
  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    log.info("Stopping worker process...");
    try {
      await worker.stop({ timeout: command.shutdownTimeout });
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
  // Questions from modules the middleware run in the main process (metrics, say).
  process.on("message", (request: MainRequest) => {
    if (request?.type !== "ask") return;
    void Promise.all(
      broker.middleware
        .filter((m) => typeof m.answerMainProcess === "function")
        .map((m) => m.answerMainProcess!(request.topic)),
    ).then(
      (answers) => report({ type: "answer", id: request.id, answers }),
      (err: unknown) => {
        log.error({ err }, `Could not answer ${request.topic}.`);
        report({ type: "answer", id: request.id, answers: [] });
      },
    );
  });
  await worker.start();
  log.info("Worker process is ready for action.");
  const modules = broker.middleware
    .map((m) => m.mainProcessModule)
    .filter((m): m is MainProcessModule => m !== undefined);
  report({ type: "ready", modules });
}
