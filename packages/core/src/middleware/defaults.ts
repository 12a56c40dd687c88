import { AgeLimit } from "./age-limit.js";
import { Callbacks } from "./callbacks.js";
import type { Middleware } from "./middleware.js";
import { Pipelines } from "./pipelines.js";
import { Retries } from "./retries.js";
import { ShutdownNotifications } from "./shutdown-notifications.js";
import { TimeLimit } from "./time-limit.js";

/** A fresh copy of the default middleware list, in Dramatiq's order. */
export function defaultMiddleware(): Middleware[] {
  return [
    new AgeLimit(),
    new TimeLimit(),
    new ShutdownNotifications(),
    new Callbacks(),
    new Pipelines(),
    new Retries(),
  ];
}
