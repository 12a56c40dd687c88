import { StubBroker, StubCancelBackend, StubStateBackend } from "../src/index.js";
import { captureLogs, lifecycleConformance } from "../src/testing/index.js";

captureLogs();
lifecycleConformance({
  name: "lifecycle on StubBroker with the stub backends",
  makeBroker: () => new StubBroker({ failFastDefault: false }),
  makeStateBackend: () => new StubStateBackend(),
  makeCancelBackend: () => new StubCancelBackend(),
});
