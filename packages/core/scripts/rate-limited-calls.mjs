// The rate-limit case of issue 12: 6 calls of 300 ms through an actor that holds a
// ConcurrentRateLimiter with limit 2, on StubBroker and StubRateLimiterBackend.
// Ideally three rounds of 300 ms: about 0.9 s.
//
//   pnpm --filter @taskq/core build && node packages/core/scripts/rate-limited-calls.mjs [minBackoff] [rateLimitBackoff] [rateLimitMaxBackoff]
//
// Both are the actor's options, in ms ("-" or nothing: the Retries default).
import {
  actor,
  ConcurrentRateLimiter,
  StubBroker,
  StubRateLimiterBackend,
  setLogger,
  Worker,
} from "../dist/index.js";

const arg = (i) =>
  process.argv[i] === undefined || process.argv[i] === "-" ? undefined : Number(process.argv[i]);
const minBackoff = arg(2);
const rateLimitBackoff = arg(3);
const rateLimitMaxBackoff = arg(4);
const quiet = { debug() {}, info() {}, warn() {}, error() {} };
setLogger(quiet);

const broker = new StubBroker();
const limiter = new ConcurrentRateLimiter(new StubRateLimiterBackend(), "api", { limit: 2 });
let retries = 0;
const call = actor(
  async () => {
    await limiter.acquire(() => new Promise((resolve) => setTimeout(resolve, 300)));
  },
  {
    broker,
    actorName: "call",
    ...(minBackoff === undefined ? {} : { minBackoff }),
    ...(rateLimitBackoff === undefined ? {} : { rateLimitBackoff }),
    ...(rateLimitMaxBackoff === undefined ? {} : { rateLimitMaxBackoff }),
  },
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
  `6 calls of 300 ms, limit 2, minBackoff ${minBackoff ?? "default"}, rateLimitBackoff ${rateLimitBackoff ?? "default"}, rateLimitMaxBackoff ${rateLimitMaxBackoff ?? "default"}: ${seconds.toFixed(2)} s; highest retries option written: ${retries}; dead letters: ${broker.deadLetters.length}`,
);
