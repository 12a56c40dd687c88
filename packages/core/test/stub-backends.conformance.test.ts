import { StubRateLimiterBackend, StubResultBackend } from "../src/index.js";
import { rateLimiterBackendConformance, resultBackendConformance } from "../src/testing/index.js";

resultBackendConformance(() => new StubResultBackend(), { name: "StubResultBackend conformance" });
rateLimiterBackendConformance(() => new StubRateLimiterBackend(), {
  name: "StubRateLimiterBackend conformance",
});
