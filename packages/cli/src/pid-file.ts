import { readFileSync, unlinkSync, writeFileSync } from "node:fs";
import { CliError, ExitCode } from "./exit-codes.js";

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** Write this process's pid; a file naming a live process (or an unwritable path) is exit 4. */
export function writePidFile(path: string): void {
  let existing: string | undefined;
  try {
    existing = readFileSync(path, "utf8").trim();
  } catch {
    // No file yet.
  }
  if (existing !== undefined && existing !== "") {
    const pid = Number(existing);
    if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && alive(pid)) {
      throw new CliError(
        ExitCode.pidFile,
        `Pid file ${path} names process ${pid}, which is running: is another taskq already up?`,
      );
    }
  }
  try {
    writeFileSync(path, `${process.pid}\n`);
  } catch (err) {
    throw new CliError(
      ExitCode.pidFile,
      `Could not write pid file ${path}: ${(err as Error).message}`,
      { cause: err },
    );
  }
}

export function removePidFile(path: string): void {
  try {
    if (readFileSync(path, "utf8").trim() === String(process.pid)) unlinkSync(path);
  } catch {
    // Gone already.
  }
}
