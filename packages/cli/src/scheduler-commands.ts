import { parseArgs } from "node:util";
import type { Logger } from "@taskq/core";
import { getLogger, peekBroker } from "@taskq/core";
import { CliError, ExitCode } from "./exit-codes.js";
import { configureLogging } from "./logging.js";
import { importModules } from "./modules.js";

/** One schedule as a @taskq/scheduler `Scheduler.list()` reports it. */
interface ScheduleRow {
  name: string;
  spec: string | { every: number };
  nextRun: number | null;
  lastRun: number | null;
  lastMessageId: string | null;
  enabled: boolean;
}

/**
 * What the CLI needs of a @taskq/scheduler `Scheduler`, recognised by its shape so that the
 * CLI does not depend on that package.
 */
interface SchedulerLike {
  start(): Promise<void>;
  stop(): Promise<void>;
  list(): Promise<ScheduleRow[]>;
  close?(): Promise<void>;
}

const WHERE_HINT =
  'export a Scheduler (from @taskq/scheduler) as "scheduler" or as the default export';

function isScheduler(value: unknown): value is SchedulerLike {
  const v = value as Partial<Record<keyof SchedulerLike, unknown>> | null;
  return (
    typeof v === "object" &&
    v !== null &&
    typeof v.start === "function" &&
    typeof v.stop === "function" &&
    typeof v.list === "function"
  );
}

/** Imports the modules; the scheduler is the first one's `scheduler` (or default) export. */
async function loadScheduler(modules: string[], paths: string[]): Promise<SchedulerLike> {
  for (const exports of await importModules(modules, paths)) {
    const found = [exports.scheduler, exports.default].find(isScheduler);
    if (found !== undefined) return found;
  }
  throw new CliError(
    ExitCode.importOrBroker,
    `None of ${modules.join(", ")} has a scheduler: ${WHERE_HINT}`,
  );
}

function failure(err: unknown, doing: string): CliError {
  if (err instanceof CliError) return err;
  const code = (err as { code?: unknown } | null)?.code;
  const connection = typeof code === "string" && code.startsWith("TASKQ_CONNECTION");
  return new CliError(
    connection ? ExitCode.connection : ExitCode.importOrBroker,
    `Could not ${doing}: ${(err as Error)?.message ?? String(err)}`,
    { cause: err },
  );
}

/** Load the scheduler, check the broker answers, start it. */
async function startScheduler(modules: string[], paths: string[]): Promise<SchedulerLike> {
  const scheduler = await loadScheduler(modules, paths);
  try {
    await peekBroker()?.ping({ timeout: 30_000 });
  } catch (err) {
    throw failure(err, "reach the broker");
  }
  try {
    await scheduler.start();
  } catch (err) {
    throw failure(err, "start the scheduler");
  }
  return scheduler;
}

async function closeScheduler(scheduler: SchedulerLike, log: Logger): Promise<void> {
  try {
    await (scheduler.close ?? scheduler.stop).call(scheduler);
    await peekBroker()?.close();
  } catch (err) {
    log.warn({ err }, "The scheduler did not close cleanly.");
  }
}

function parse(argv: string[], usage: string) {
  try {
    const parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        path: { type: "string", short: "P", multiple: true },
        verbose: { type: "boolean", short: "v" },
      },
    });
    if (parsed.positionals.length === 0) throw new Error("Name at least one module.");
    return parsed;
  } catch (err) {
    throw new CliError(ExitCode.importOrBroker, `${(err as Error).message}\n${usage}`);
  }
}

/** `taskq scheduler <module...>`: run the module's schedules until SIGTERM or SIGINT (exit 0). */
export async function schedulerCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parse(
    argv,
    "Usage: taskq scheduler <module...> [--path DIR] [--verbose]",
  );
  process.title = "taskq: scheduler";
  configureLogging("Scheduler", values.verbose ?? false, undefined);
  const log = getLogger("taskq.cli");
  const scheduler = await startScheduler(positionals, values.path ?? []);
  log.info("The scheduler is running; SIGTERM or SIGINT stops it.");
  await new Promise<void>((resolve) => {
    process.once("SIGTERM", resolve);
    process.once("SIGINT", resolve);
    process.on("SIGHUP", () => log.warn("SIGHUP ignored: restart the scheduler to load new code."));
  });
  await closeScheduler(scheduler, log);
  log.info("The scheduler stopped.");
  return ExitCode.ok;
}

const time = (t: number | null) => (t === null ? "-" : new Date(t).toISOString());

function describeSpec(spec: ScheduleRow["spec"]): string {
  if (typeof spec === "string") return spec;
  const ms = spec.every;
  return ms % 1000 === 0 ? `every ${ms / 1000}s` : `every ${ms}ms`;
}

/** `taskq schedules <module...>`: one line per schedule (name, spec, next, last, last message). */
export async function schedulesCommand(
  argv: string[],
  out: (line: string) => void,
): Promise<number> {
  const { values, positionals } = parse(argv, "Usage: taskq schedules <module...> [--path DIR]");
  configureLogging("MainProcess", values.verbose ?? false, undefined);
  const log = getLogger("taskq.cli");
  const scheduler = await loadScheduler(positionals, values.path ?? []);
  try {
    let rows: ScheduleRow[];
    try {
      rows = await scheduler.list();
    } catch (err) {
      throw failure(err, "read the schedules");
    }
    const table = [["name", "spec", "next", "last", "last message id"]];
    for (const r of rows) {
      table.push([
        r.name,
        describeSpec(r.spec),
        r.enabled ? time(r.nextRun) : "disabled",
        time(r.lastRun),
        r.lastMessageId ?? "-",
      ]);
    }
    const widths = table[0]!.map((_, i) => Math.max(...table.map((row) => row[i]!.length)));
    for (const row of table)
      out(
        row
          .map((c, i) => c.padEnd(widths[i]!))
          .join("  ")
          .trimEnd(),
      );
    return ExitCode.ok;
  } finally {
    await closeScheduler(scheduler, log);
  }
}

/**
 * `taskq <module...> --scheduler`: the fleet's main process runs the schedules too. A failure
 * to start calls `onFail` with the exit code; `stop` stops and closes the scheduler.
 */
export function runSchedulesInMainProcess(
  modules: string[],
  paths: string[],
  log: Logger,
  onFail: (exitCode: number) => void,
): { stop(): Promise<void> } {
  const started = startScheduler(modules, paths).then(
    (scheduler) => {
      log.info("The scheduler is running in the main process.");
      return scheduler;
    },
    (err: unknown) => {
      const failed = failure(err, "start the scheduler");
      log.error(failed.message);
      onFail(failed.exitCode);
      return undefined;
    },
  );
  return {
    async stop() {
      const scheduler = await started;
      if (scheduler !== undefined) await closeScheduler(scheduler, log);
    },
  };
}
