import { availableParallelism } from "node:os";
import { parseArgs } from "node:util";
import { CliError, ExitCode } from "./exit-codes.js";

/** The worker command, as `taskq <module...> [options]` parses to (see `runSupervisor`). */
export interface WorkerCommand {
  /** Modules to load in each worker process: files (.js/.mjs/.cjs/.ts) or package names. */
  modules: string[];
  /** Worker processes to run (`--processes`). */
  processes: number;
  /** Actor calls in flight per process (`--concurrency`). */
  concurrency: number;
  /** Threads per isolation pool in each process (`--isolation-threads`); default: concurrency. */
  isolationThreads: number | undefined;
  /** Consume only these queues (`--queues`); undefined: every declared queue. */
  queues: string[] | undefined;
  /** More directories to look for modules in (`--path`). */
  paths: string[];
  /** Write the main process's pid here (`--pid-file`). */
  pidFile: string | undefined;
  /** Append log lines here instead of stderr (`--log-file`). */
  logFile: string | undefined;
  /** Restart the workers when sources under this directory change (`--watch`). */
  watch: string | undefined;
  /** Ms running actors get to finish on shutdown (`--worker-shutdown-timeout`). */
  shutdownTimeout: number;
  /** Log at debug level (`--verbose`). */
  verbose: boolean;
  /** Also run the module's schedules in the main process (`--scheduler`). */
  scheduler: boolean;
  /** Queue ranks (`--queue-priority high=10,low=1`): a bigger number starts first. */
  queuePriorities?: Record<string, number> | undefined;
  /** Queue weights (`--queue-weight a=3,b=1`): slots shared in proportion. */
  queueWeights?: Record<string, number> | undefined;
  /** Replace a worker process after this many messages (`--max-tasks-per-child`). */
  maxTasksPerChild?: number | undefined;
  /** Replace a worker process once its RSS passes this many MB (`--max-memory`). */
  maxMemory?: number | undefined;
}

/** The text `taskq --help` prints. */
export const HELP = `Usage: taskq <module...> [options]
       taskq queues <module...> [--path DIR]
       taskq dead-letters <module> <queue> [--limit N] [--full] | --requeue | --purge
       taskq send <module> <actor> [--args JSON]
       taskq pause|resume <module> <queue>       (for every worker of the fleet)
       taskq scheduler <module...> [--path DIR]   (run the module's schedules)
       taskq schedules <module...> [--path DIR]   (list them: next and last run)
       taskq status <module> <message-id> [--json] (a message's state)
       taskq cancel <module> <message-id>...      (cancel messages)
       taskq dashboard <module> [--port 9181] [--host 127.0.0.1] [--read-only]
                                                  (serve the web dashboard and its HTTP API)

Run taskq workers for the actors the modules declare. A module sets the broker
(setBroker) and declares actors; .js, .mjs and .cjs files load as they are, .ts
files too when tsx is installed in the application.

Options:
  -p, --processes N              worker processes to run (default: the number of CPUs)
  -c, --concurrency N            actor calls in flight per process (default: 8)
      --isolation-threads N      threads (or child processes) per process running actors declared
                                 with isolation (default: the concurrency)
  -Q, --queues NAME[,NAME...]    consume only these queues (repeatable)
  -P, --path DIR                 also look for modules in DIR (repeatable)
      --pid-file FILE            write the main process's pid to FILE
      --log-file FILE            append logs to FILE instead of stderr
      --watch DIR                restart the workers when sources under DIR change (development)
      --worker-shutdown-timeout MS
                                 how long running actors get to finish on shutdown (default: 600000)
      --scheduler                also run the module's schedules in the main process
      --queue-priority Q=N[,Q=N...]
                                 start a higher-ranked queue's messages first (bigger first;
                                 unlisted queues are 0)
      --queue-weight Q=N[,Q=N...]
                                 share the slots between busy queues in proportion (unlisted: 1)
      --max-tasks-per-child N    replace a worker process after it has taken N messages
      --max-memory MB            replace a worker process once its RSS passes MB megabytes
  -v, --verbose                  log at debug level (every message received and completed)
  -V, --version                  print the version and exit
  -h, --help                     print this help and exit

Environment:
  TASKQ_LOG_LEVEL                lowest level logged: debug, info, warn or error (default: info;
                                 --verbose means debug)
  TASKQ_PROM_HOST                with the Prometheus middleware: the address /metrics is served
                                 on (default: 0.0.0.0)
  TASKQ_PROM_PORT                with the Prometheus middleware: its port (default: 9191)

Signals: SIGTERM or SIGINT stops gracefully (a second one forces), SIGHUP reloads code.
Exit codes: 0 ok, 1 killed, 2 import or broker error, 3 broker connection failed at boot,
4 pid file problem.`;

/** `a=3,b=1` (repeatable) as `{ a: 3, b: 1 }`; bad pairs are usage errors naming the flag. */
function queueNumbers(
  name: string,
  values: string[] | undefined,
  positive: boolean,
): Record<string, number> | undefined {
  if (values === undefined) return undefined;
  const out: Record<string, number> = {};
  for (const pair of values.flatMap((v) => v.split(",")).filter((v) => v.length > 0)) {
    const at = pair.lastIndexOf("=");
    const queue = pair.slice(0, at);
    const n = Number(pair.slice(at + 1));
    if (at < 1 || pair.slice(at + 1).trim() === "" || !Number.isFinite(n) || (positive && n <= 0)) {
      throw new CliError(
        ExitCode.importOrBroker,
        `--${name} takes QUEUE=${positive ? "NUMBER>0" : "NUMBER"} pairs, got ${JSON.stringify(pair)}`,
      );
    }
    out[queue] = n;
  }
  return out;
}

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

/** What the worker command's arguments ask for. */
export type Parsed =
  | { kind: "help" }
  | { kind: "version" }
  | { kind: "worker"; command: WorkerCommand };

/** Parse the worker command's arguments; bad ones throw a CliError (exit 2) with the usage. */
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
  const queuePriorities = queueNumbers("queue-priority", values["queue-priority"], false);
  const queueWeights = queueNumbers("queue-weight", values["queue-weight"], true);
  if (queuePriorities !== undefined && queueWeights !== undefined) {
    throw new CliError(
      ExitCode.importOrBroker,
      "--queue-priority and --queue-weight exclude each other: give one",
    );
  }
  const maxMemory = values["max-memory"];
  const maxMemoryMb = maxMemory === undefined ? undefined : Number(maxMemory);
  if (maxMemoryMb !== undefined && !(maxMemoryMb > 0 && Number.isFinite(maxMemoryMb))) {
    throw new CliError(
      ExitCode.importOrBroker,
      `--max-memory must be a number of MB > 0, got ${JSON.stringify(maxMemory)}`,
    );
  }
  const maxTasks = values["max-tasks-per-child"];
  return {
    kind: "worker",
    command: {
      modules: positionals,
      processes: count("processes", values.processes, availableParallelism()),
      concurrency: count("concurrency", values.concurrency, 8),
      isolationThreads:
        values["isolation-threads"] === undefined
          ? undefined
          : count("isolation-threads", values["isolation-threads"], 1),
      queues: queues && queues.length > 0 ? queues : undefined,
      paths: values.path ?? [],
      pidFile: values["pid-file"],
      logFile: values["log-file"],
      watch: values.watch,
      shutdownTimeout,
      verbose: values.verbose ?? false,
      scheduler: values.scheduler ?? false,
      queuePriorities,
      queueWeights,
      maxTasksPerChild:
        maxTasks === undefined ? undefined : count("max-tasks-per-child", maxTasks, 1),
      maxMemory: maxMemoryMb,
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
      "isolation-threads": { type: "string" },
      queues: { type: "string", short: "Q", multiple: true },
      path: { type: "string", short: "P", multiple: true },
      "pid-file": { type: "string" },
      "log-file": { type: "string" },
      watch: { type: "string" },
      "worker-shutdown-timeout": { type: "string" },
      verbose: { type: "boolean", short: "v" },
      scheduler: { type: "boolean" },
      "queue-priority": { type: "string", multiple: true },
      "queue-weight": { type: "string", multiple: true },
      "max-tasks-per-child": { type: "string" },
      "max-memory": { type: "string" },
      version: { type: "boolean", short: "V" },
      help: { type: "boolean", short: "h" },
    },
  });
}
