import { StubBroker } from "../src/index.js";
import { dataQueueConformance } from "../src/testing/index.js";

dataQueueConformance(() => new StubBroker(), { name: "StubBroker data queue conformance" });
