import {
  StubCancelBackend,
  StubRateLimiterBackend,
  StubResultBackend,
  StubStateBackend,
} from "../src/index.js";
import {
  cancelBackendConformance,
  rateLimiterBackendConformance,
  resultBackendConformance,
  stateBackendConformance,
} from "../src/testing/index.js";

resultBackendConformance(() => new StubResultBackend(), { name: "StubResultBackend conformance" });
rateLimiterBackendConformance(() => new StubRateLimiterBackend(), {
  name: "StubRateLimiterBackend conformance",
});

stateBackendConformance(() => new StubStateBackend(), { name: "StubStateBackend conformance" });
cancelBackendConformance((options) => new StubCancelBackend(options), {
  name: "StubCancelBackend conformance",
});
