import type { Logger } from "./logger.js";

/**
 * For brokers that follow server state (paused queues, say) on notices, reconnects and timers:
 * returns a `read()` that runs `fetch` and hands what it resolves to `report`. Reads never
 * overlap: calls made while one runs fold into one more run after it. A failing read is logged
 * once (as "Could not read <what>.") until a read succeeds again.
 */
export function serialReader<T>(
  fetch: () => Promise<T>,
  report: (value: T) => void,
  log: Logger,
  what: string,
): () => void {
  let reading = false;
  let again = false;
  let failing = false;
  const read = (): void => {
    if (reading) {
      again = true;
      return;
    }
    reading = true;
    void Promise.resolve()
      .then(fetch)
      .then(
        (value) => {
          failing = false;
          report(value);
        },
        (err: unknown) => {
          if (!failing) log.warn({ err }, `Could not read ${what}.`);
          failing = true;
        },
      )
      .finally(() => {
        reading = false;
        if (again) {
          again = false;
          read();
        }
      });
  };
  return read;
}
