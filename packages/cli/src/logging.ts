import { appendFileSync } from "node:fs";
import { ConsoleLogger, setLogger } from "@taskq/core";

/** Dramatiq-style lines, labelled with the process (MainProcess, WorkerProcess(0), ...). */
export function configureLogging(
  processName: string,
  verbose: boolean,
  logFile: string | undefined,
): void {
  const write = logFile === undefined ? undefined : (line: string) => appendFileSync(logFile, line);
  setLogger(
    new ConsoleLogger({
      level: verbose ? "debug" : "info",
      processName,
      ...(write ? { write } : {}),
    }),
  );
}
