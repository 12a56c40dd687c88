// The rate-limit case of issue 12: 6 calls of 300 ms through an actor that holds a
// ConcurrentRateLimiter with limit 2, on StubBroker and StubRateLimiterBackend.
// Ideally three rounds of 300 ms: about 0.9 s.
//
//   pnpm --filter @taskq/core build && node packages/core/scripts/rate-limited-calls.mjs [minBackoff]
//
// minBackoff (ms) is the actor's; without it the Retries default (15 s) applies.
import {
  ConcurrentRateLimiter,
  StubBroker,
  StubRateLimiterBackend,
  setLogger,
  Worker,
  actor,
} from "../dist/index.js";

const minBackoff = process.argv[2] === undefined ? undefined : Number(process.argv[2]);
const quiet = { debug() {}, info() {}, warn() {}, error() {} };
setLogger(quiet);

const broker = new StubBroker();
const limiter = new ConcurrentRateLimiter(new StubRateLimiterBackend(), "api", { limit: 2 });
let retries = 0;
const call = actor(
  async () => {
    await limiter.acquire(() => new Promise((resolve) => setTimeout(resolve, 300)));
  },
  { broker, actorName: "call", ...(minBackoff === undefined ? {} : { minBackoff }) },
);
broker.addMiddleware(
  new (class extends (await import("../dist/index.js")).Middleware {
    afterEnqueue(_broker, message) {
      if (typeof message.options.retries === "number") retries = message.options.retries;
    }
  })(),
);

const worker = new Worker(broker, { concurrency: 8, workerTimeout: 50 });
await worker.start();
const started = performance.now();
for (let i = 0; i < 6; i++) await call.send();
await broker.join("default", { timeout: 600_000 });
const seconds = (performance.now() - started) / 1000;
await worker.stop();
await broker.close();
console.log(
  `6 calls of 300 ms, limit 2, minBackoff ${minBackoff ?? "default"}: ${seconds.toFixed(2)} s; highest retries option written: ${retries}; dead letters: ${broker.deadLetters.length}`,
);
