import { StubBroker } from "../src/index.js";
import { badInputConformance } from "../src/testing/index.js";

badInputConformance("StubBroker", {
  makeBroker: () => new StubBroker(),
  putRaw: (broker, queueName, bytes) => (broker as StubBroker).enqueueBytes(queueName, bytes),
});
