import type { Broker } from "../broker.js";
import { interruptMessage } from "../context.js";
import { Shutdown } from "../errors.js";
import { readOption } from "../options.js";
import type { Worker } from "../worker/worker.js";
import { Middleware } from "./middleware.js";

/**
 * When a worker stops, interrupts the running actors that asked for it (`notifyShutdown`):
 * their AbortSignal aborts with Shutdown and the message is retried. Others may finish.
 */
export class ShutdownNotifications extends Middleware {
  /** Default for actors that do not set `notifyShutdown`. */
  readonly notifyShutdown: boolean;

  constructor(options: { notifyShutdown?: boolean } = {}) {
    super();
    this.notifyShutdown = options.notifyShutdown ?? false;
  }

  override get actorOptions(): readonly string[] {
    return ["notifyShutdown"];
  }

  override beforeWorkerShutdown(broker: Broker, worker: Worker): void {
    for (const message of worker.inProgress()) {
      const own = readOption(
        message.options,
        broker.findActor(message.actorName),
        "notifyShutdown",
      );
      if (own ?? this.notifyShutdown)
        interruptMessage(message, new Shutdown("Worker is shutting down"));
    }
  }
}
