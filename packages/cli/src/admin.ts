import type { Broker } from "@taskq/core";
import { getLogger } from "@taskq/core";
import { loadBroker } from "./connect.js";
import { CliError, ExitCode } from "./exit-codes.js";
import { configureLogging } from "./logging.js";

/** What an admin command writes its output with (one line at a time). */
export type Out = (line: string) => void;

/** An admin command: its arguments (after its name) in, an exit code out. */
export type AdminCommand = (argv: string[], out: Out) => Promise<number>;

/** A usage error: exit 2 with `message`. */
export function usage(message: string): CliError {
  return new CliError(ExitCode.importOrBroker, message);
}

/** Run an admin command's `parseArgs`: a bad option is a usage error (exit 2) showing `usageLine`. */
export function parseOrUsage<T>(usageLine: string, parse: () => T): T {
  try {
    return parse();
  } catch (err) {
    throw usage(`${(err as Error).message}\n${usageLine}`);
  }
}

/** Rows as columns padded to their widest cell. */
export function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows
    .map((r) =>
      r
        .map((c, i) => c.padEnd(widths[i]!))
        .join("  ")
        .trimEnd(),
    )
    .join("\n");
}

/** A whole number ≥ 1 from an option's text, or a usage error naming the option. */
export function positiveInteger(name: string, text: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1) {
    throw usage(`--${name} must be a whole number ≥ 1, got ${JSON.stringify(text)}`);
  }
  return n;
}

/** Load the modules, connect to the broker they set, run `run`, close the broker. */
export async function withBroker<T>(
  modules: string[],
  paths: string[],
  run: (broker: Broker) => Promise<T>,
): Promise<T> {
  configureLogging("MainProcess", false, undefined);
  const broker = await loadBroker({ modules, paths });
  try {
    return await run(broker);
  } finally {
    await broker
      .close()
      .catch((err: unknown) => getLogger("taskq.cli").warn({ err }, "Could not close the broker."));
  }
}
