/**
 * Conformance suites: the behaviour every broker (and later every result and rate-limiter
 * backend) must have. Run them from a vitest test file:
 *
 *   brokerConformance(() => new MyBroker({ ... }));
 */
export type { BrokerConformanceOptions, MakeBroker } from "./broker-conformance.js";
export { brokerConformance } from "./broker-conformance.js";
