export { AgeLimit } from "./age-limit.js";
export { Callbacks } from "./callbacks.js";
export { CurrentMessage } from "./current-message.js";
export { defaultMiddleware } from "./defaults.js";
export type { GroupCallbacksOptions } from "./group-callbacks.js";
export { GroupCallbacks } from "./group-callbacks.js";
export type {
  AfterProcessOutcome,
  Awaitable,
  HookName,
  MainProcessContext,
  MainProcessHandle,
  MainProcessModule,
  MiddlewareHooks,
} from "./middleware.js";
export { HOOK_NAMES, Middleware } from "./middleware.js";
export { Pipelines } from "./pipelines.js";
export type { RetriesOptions } from "./retries.js";
export {
  DEFAULT_MAX_BACKOFF,
  DEFAULT_MIN_BACKOFF,
  DEFAULT_RATE_LIMIT_BACKOFF,
  DEFAULT_RATE_LIMIT_MAX_BACKOFF,
  Retries,
} from "./retries.js";
export { ShutdownNotifications } from "./shutdown-notifications.js";
export { TimeLimit } from "./time-limit.js";
