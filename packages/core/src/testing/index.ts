/**
 * Conformance suites: the behaviour every broker, result backend and rate limiter backend
 * must have. Run them from a vitest test file:
 *
 *   brokerConformance(() => new MyBroker({ ... }));
 */
export type { BadInputConformanceOptions } from "./bad-input-conformance.js";
export { badInputConformance } from "./bad-input-conformance.js";
export type { BrokerConformanceOptions, MakeBroker } from "./broker-conformance.js";
export { brokerConformance } from "./broker-conformance.js";
export type {
  CancelBackendConformanceOptions,
  MakeCancelBackend,
} from "./cancel-backend-conformance.js";
export { cancelBackendConformance } from "./cancel-backend-conformance.js";
export type { DataQueueConformanceOptions } from "./data-queue-conformance.js";
export { dataQueueConformance } from "./data-queue-conformance.js";
export type { LifecycleConformanceOptions } from "./lifecycle-conformance.js";
export { lifecycleConformance } from "./lifecycle-conformance.js";
export type { CapturedLog } from "./logs.js";
export { captureLogs } from "./logs.js";
export { maxOverlap } from "./overlap.js";
export type {
  MakeRateLimiterBackend,
  RateLimiterBackendConformanceOptions,
} from "./rate-limiter-backend-conformance.js";
export { rateLimiterBackendConformance } from "./rate-limiter-backend-conformance.js";
export type {
  MakeResultBackend,
  ResultBackendConformanceOptions,
} from "./result-backend-conformance.js";
export { resultBackendConformance } from "./result-backend-conformance.js";
export type {
  MakeStateBackend,
  StateBackendConformanceOptions,
} from "./state-backend-conformance.js";
export { stateBackendConformance } from "./state-backend-conformance.js";
export { gate, sleep, waitUntil } from "./wait.js";
