export type { Parsed, WorkerCommand } from "./args.js";
export { HELP, parseWorkerArgs } from "./args.js";
export { CliError, ExitCode } from "./exit-codes.js";
export { runSupervisor } from "./supervisor.js";
