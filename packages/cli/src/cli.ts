import { deadLettersCommand, queuesCommand, sendCommand } from "./admin.js";
import { HELP, parseWorkerArgs } from "./args.js";
import { CliError, ExitCode } from "./exit-codes.js";
import { cancelCommand, statusCommand } from "./lifecycle-commands.js";
import { schedulerCommand, schedulesCommand } from "./scheduler-commands.js";
import { runSupervisor, workerCommandFromEnv } from "./supervisor.js";
import { version } from "./version.js";
import { runWorkerProcess } from "./worker-process.js";

const out = (line: string) => process.stdout.write(`${line}\n`);

async function main(argv: string[]): Promise<number | undefined> {
  const worker = workerCommandFromEnv();
  if (worker !== undefined) {
    await runWorkerProcess(worker.command, worker.index);
    return undefined;
  }
  switch (argv[0]) {
    case "queues":
      return queuesCommand(argv.slice(1), out);
    case "dead-letters":
      return deadLettersCommand(argv.slice(1), out);
    case "send":
      return sendCommand(argv.slice(1), out);
    case "scheduler":
      return schedulerCommand(argv.slice(1));
    case "schedules":
      return schedulesCommand(argv.slice(1), out);
    case "status":
      return statusCommand(argv.slice(1), out);
    case "cancel":
      return cancelCommand(argv.slice(1), out);
  }
  const parsed = parseWorkerArgs(argv);
  if (parsed.kind === "help") {
    out(HELP);
    return ExitCode.ok;
  }
  if (parsed.kind === "version") {
    out(`taskq ${version()}`);
    return ExitCode.ok;
  }
  return runSupervisor(parsed.command);
}

main(process.argv.slice(2)).then(
  (code) => {
    if (code !== undefined) process.exit(code);
  },
  (err: unknown) => {
    if (err instanceof CliError) {
      process.stderr.write(`taskq: ${err.message}\n`);
      process.exit(err.exitCode);
    }
    process.stderr.write(
      `taskq: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
    );
    process.exit(ExitCode.importOrBroker);
  },
);
