import type { AdminCommand } from "./admin.js";
import { HELP, parseWorkerArgs } from "./args.js";
import { dashboardCommand } from "./dashboard-command.js";
import { deadLettersCommand } from "./dead-letters-command.js";
import { CliError, ExitCode } from "./exit-codes.js";
import { cancelCommand, statusCommand } from "./lifecycle-commands.js";
import { exitWhenFlushed, writeLine } from "./output.js";
import { pauseCommand } from "./pause-command.js";
import { queuesCommand } from "./queues-command.js";
import { schedulerCommand, schedulesCommand } from "./scheduler-commands.js";
import { sendCommand } from "./send-command.js";
import { runSupervisor, workerCommandFromEnv } from "./supervisor.js";
import { version } from "./version.js";
import { runWorkerProcess } from "./worker-process.js";

/** The admin commands, by the name that comes first on the command line. */
const ADMIN_COMMANDS: Record<string, AdminCommand> = {
  queues: queuesCommand,
  "dead-letters": deadLettersCommand,
  send: sendCommand,
  pause: pauseCommand(true),
  resume: pauseCommand(false),
  scheduler: schedulerCommand,
  schedules: schedulesCommand,
  dashboard: dashboardCommand,
  status: statusCommand,
  cancel: cancelCommand,
};

async function main(argv: string[]): Promise<number | undefined> {
  const worker = workerCommandFromEnv();
  if (worker !== undefined) {
    await runWorkerProcess(worker.command, worker.index);
    return undefined;
  }
  const name = argv[0] ?? "";
  if (Object.hasOwn(ADMIN_COMMANDS, name)) return ADMIN_COMMANDS[name]!(argv.slice(1), writeLine);
  const parsed = parseWorkerArgs(argv);
  if (parsed.kind === "help") {
    writeLine(HELP);
    return ExitCode.ok;
  }
  if (parsed.kind === "version") {
    writeLine(`taskq ${version()}`);
    return ExitCode.ok;
  }
  return runSupervisor(parsed.command);
}

// A reader that goes away (`taskq dead-letters … | head`) is not an error worth a stack.
process.stdout.on("error", (err: NodeJS.ErrnoException) => {
  if (err.code === "EPIPE") process.exit(ExitCode.ok);
  throw err;
});

main(process.argv.slice(2)).then(
  (code) => {
    if (code !== undefined) void exitWhenFlushed(code);
  },
  (err: unknown) => {
    if (err instanceof CliError) {
      process.stderr.write(`taskq: ${err.message}\n`);
      void exitWhenFlushed(err.exitCode);
      return;
    }
    process.stderr.write(
      `taskq: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
    );
    void exitWhenFlushed(ExitCode.importOrBroker);
  },
);
