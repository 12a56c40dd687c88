import { badInputConformance } from "@taskq/core/testing";
import type { RedisBroker } from "../../src/index.js";
import { makeBroker, putRaw } from "../helpers.js";

// The shared hostile-input suite on a real Redis: raw bytes go straight into the queue's
// keys, as another producer's would.
badInputConformance("RedisBroker", {
  makeBroker: () => makeBroker(),
  putRaw: async (broker, queueName, bytes) => {
    await putRaw(broker as RedisBroker, queueName, bytes);
  },
});
