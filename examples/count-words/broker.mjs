// Chooses the broker: Redis when REDIS_URL is set (what the demo's worker process and
// producer use), the in-memory StubBroker otherwise. Results are stored either way, so the
// producer can read each count back.
import { RedisBroker } from "@taskq/broker-redis";
import { Results, StubBroker, StubResultBackend, setBroker } from "@taskq/core";
import { RedisResultBackend } from "@taskq/results-redis";

const url = process.env.REDIS_URL;
export const broker = url ? new RedisBroker({ url, namespace: "count-words" }) : new StubBroker();
export const results = url
  ? new RedisResultBackend({ url, namespace: "count-words" })
  : new StubResultBackend();
broker.addMiddleware(new Results({ backend: results }));
setBroker(broker);
