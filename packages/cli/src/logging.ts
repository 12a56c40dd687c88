import { appendFileSync } from "node:fs";
import { ConsoleLogger, setLogger } from "@taskq/core";

/**
 * Dramatiq-style lines, labelled with the process (MainProcess, WorkerProcess(0), ...), at
 * debug level with --verbose and otherwise at TASKQ_LOG_LEVEL (default info). A module that
 * calls setLogger afterwards replaces this logger in its process.
 */
export function configureLogging(
  processName: string,
  verbose: boolean,
  logFile: string | undefined,
): void {
  const write = logFile === undefined ? undefined : (line: string) => appendFileSync(logFile, line);
  setLogger(
    new ConsoleLogger({
      ...(verbose ? { level: "debug" as const } : {}),
      processName,
      ...(write ? { write } : {}),
    }),
  );
}
