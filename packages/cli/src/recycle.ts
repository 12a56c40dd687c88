import type { Broker, Logger, Worker } from "@taskq/core";
import { Middleware } from "@taskq/core";

/** How often the RSS is read against --max-memory, ms. */
const MEMORY_CHECK_INTERVAL = 1000;

export interface RecycleLimits {
  maxTasksPerChild?: number | undefined;
  /** MB of RSS. */
  maxMemory?: number | undefined;
}

/** Counts the messages this process starts. */
class TaskCounter extends Middleware {
  private readonly onStart: () => void;
  constructor(onStart: () => void) {
    super();
    this.onStart = onStart;
  }
  override beforeProcessMessage(): void {
    this.onStart();
  }
}

/**
 * Remoulade's recycling: once the process has started `maxTasksPerChild` messages or its
 * RSS passes `maxMemory` MB, the worker stops taking messages (pause: nothing more starts,
 * nothing more is fetched) and `recycle` is called once with the reason; the caller stops the
 * worker (held messages go back unstarted, running ones finish) and exits, and the
 * supervisor starts a fresh process.
 */
export function watchLimits(
  broker: Broker,
  worker: Worker,
  limits: RecycleLimits,
  log: Logger,
  recycle: (reason: string) => void,
): () => void {
  let done = false;
  const trip = (reason: string) => {
    if (done) return;
    done = true;
    worker.pause();
    log.info(`${reason}: finishing what this process holds, then a fresh one takes over.`);
    recycle(reason);
  };
  let timer: NodeJS.Timeout | undefined;
  const { maxTasksPerChild, maxMemory } = limits;
  if (maxTasksPerChild !== undefined) {
    let started = 0;
    broker.addMiddleware(
      new TaskCounter(() => {
        if (++started >= maxTasksPerChild)
          trip(`Started ${started} messages (--max-tasks-per-child ${maxTasksPerChild})`);
      }),
    );
  }
  if (maxMemory !== undefined) {
    const limit = maxMemory * 1024 * 1024;
    timer = setInterval(() => {
      const rss = process.memoryUsage.rss();
      if (rss > limit)
        trip(`RSS is ${Math.round(rss / 1024 / 1024)} MB (--max-memory ${maxMemory})`);
    }, MEMORY_CHECK_INTERVAL);
    timer.unref();
  }
  return () => {
    if (timer !== undefined) clearInterval(timer);
  };
}
