/** Dramatiq's exit codes. */
export const ExitCode = {
  ok: 0,
  /** Stopped by force (a second signal, or workers that would not stop). */
  killed: 1,
  /** A module failed to import, or the broker failed (misconfigured, no broker set). */
  importOrBroker: 2,
  /** The broker's server could not be reached at boot. */
  connection: 3,
  /** The pid file names a live process, or cannot be written. */
  pidFile: 4,
} as const;

export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

/** An error that ends the command with a given exit code and a message for the operator. */
export class CliError extends Error {
  /** The process exit code the command ends with. */
  readonly exitCode: ExitCode;
  constructor(exitCode: ExitCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.exitCode = exitCode;
  }
}
