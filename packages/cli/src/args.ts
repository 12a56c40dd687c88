import { availableParallelism } from "node:os";
import { parseArgs } from "node:util";
import { CliError, ExitCode } from "./exit-codes.js";

export interface WorkerCommand {
  modules: string[];
  processes: number;
  concurrency: number;
  queues: string[] | undefined;
  paths: string[];
  pidFile: string | undefined;
  logFile: string | undefined;
  watch: string | undefined;
  shutdownTimeout: number;
  verbose: boolean;
  scheduler: boolean;
}

export const HELP = `Usage: taskq <module...> [options]
       taskq queues <module...> [--path DIR]
       taskq dead-letters <module> <queue> [--requeue | --purge] [--limit N]
       taskq send <module> <actor> [--args JSON]
       taskq scheduler <module...> [--path DIR]   (run the module's schedules)
       taskq schedules <module...> [--path DIR]   (list them: next and last run)
       taskq status <module> <message-id> [--json] (a message's state)
       taskq cancel <module> <message-id>...      (cancel messages)

Run taskq workers for the actors the modules declare. A module sets the broker
(setBroker) and declares actors; .js, .mjs and .cjs files load as they are, .ts
files too when tsx is installed.

Options:
  -p, --processes N              worker processes to run (default: the number of CPUs)
  -c, --concurrency N            actor calls in flight per process (default: 8)
  -Q, --queues NAME[,NAME...]    consume only these queues (repeatable)
  -P, --path DIR                 also look for modules in DIR (repeatable)
      --pid-file FILE            write the main process's pid to FILE
      --log-file FILE            append logs to FILE instead of stderr
      --watch DIR                restart the workers when sources under DIR change (development)
      --worker-shutdown-timeout MS
                                 how long running actors get to finish on shutdown (default: 600000)
      --scheduler                also run the module's schedules in the main process
  -v, --verbose                  log at debug level (every message received and completed)
  -V, --version                  print the version and exit
  -h, --help                     print this help and exit

Signals: SIGTERM or SIGINT stops gracefully (a second one forces), SIGHUP reloads code.
Exit codes: 0 ok, 1 killed, 2 import or broker error, 3 broker connection failed at boot,
4 pid file problem.`;

function count(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1)
    throw new CliError(
      ExitCode.importOrBroker,
      `--${name} must be a whole number ≥ 1, got ${JSON.stringify(value)}`,
    );
  return n;
}

export type Parsed =
  | { kind: "help" }
  | { kind: "version" }
  | { kind: "worker"; command: WorkerCommand };

export function parseWorkerArgs(argv: string[]): Parsed {
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(argv);
  } catch (err) {
    throw new CliError(ExitCode.importOrBroker, `${(err as Error).message}\n\n${HELP}`);
  }
  const { values, positionals } = parsed;
  if (values.help) return { kind: "help" };
  if (values.version) return { kind: "version" };
  if (positionals.length === 0)
    throw new CliError(ExitCode.importOrBroker, `Name at least one module to load.\n\n${HELP}`);
  const queues = values.queues?.flatMap((q) => q.split(",")).filter((q) => q.length > 0);
  const timeout = values["worker-shutdown-timeout"];
  const shutdownTimeout = timeout === undefined ? 600_000 : Number(timeout);
  if (!(shutdownTimeout >= 0) || !Number.isFinite(shutdownTimeout)) {
    throw new CliError(
      ExitCode.importOrBroker,
      `--worker-shutdown-timeout must be a number of ms ≥ 0, got ${JSON.stringify(timeout)}`,
    );
  }
  return {
    kind: "worker",
    command: {
      modules: positionals,
      processes: count("processes", values.processes, availableParallelism()),
      concurrency: count("concurrency", values.concurrency, 8),
      queues: queues && queues.length > 0 ? queues : undefined,
      paths: values.path ?? [],
      pidFile: values["pid-file"],
      logFile: values["log-file"],
      watch: values.watch,
      shutdownTimeout,
      verbose: values.verbose ?? false,
      scheduler: values.scheduler ?? false,
    },
  };
}

function parse(argv: string[]) {
  return parseArgs({
    args: argv,
    allowPositionals: true,
    strict: true,
    options: {
      processes: { type: "string", short: "p" },
      concurrency: { type: "string", short: "c" },
      queues: { type: "string", short: "Q", multiple: true },
      path: { type: "string", short: "P", multiple: true },
      "pid-file": { type: "string" },
      "log-file": { type: "string" },
      watch: { type: "string" },
      "worker-shutdown-timeout": { type: "string" },
      verbose: { type: "boolean", short: "v" },
      scheduler: { type: "boolean" },
      version: { type: "boolean", short: "V" },
      help: { type: "boolean", short: "h" },
    },
  });
}
