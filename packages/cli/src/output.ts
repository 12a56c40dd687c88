/** Write one line of a command's output to stdout. */
export function writeLine(line: string): void {
  process.stdout.write(`${line}\n`);
}

/**
 * Resolves once everything written to `stream` so far has been handed to the OS. Exiting
 * before that loses what is still queued: into a pipe (`taskq dead-letters … | wc -c`),
 * stdout writes are asynchronous once the pipe is full.
 */
export function flushed(stream: NodeJS.WriteStream): Promise<void> {
  if (stream.destroyed || !stream.writable) return Promise.resolve();
  return new Promise((resolve) => {
    // An empty write's callback runs after every write queued before it (or with the
    // stream's error, e.g. EPIPE when the reader went away: nothing more to wait for).
    stream.write("", () => resolve());
  });
}

/** Exit with `code` once stdout and stderr are written out. */
export async function exitWhenFlushed(code: number): Promise<never> {
  await Promise.all([flushed(process.stdout), flushed(process.stderr)]);
  process.exit(code);
}
