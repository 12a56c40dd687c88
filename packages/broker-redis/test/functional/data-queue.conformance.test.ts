import { dataQueueConformance } from "@taskq/core/testing";
import { makeBroker } from "../helpers.js";

dataQueueConformance(() => makeBroker(), { name: "RedisBroker data queue conformance" });
