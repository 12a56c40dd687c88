// The worker process of isolation.bench.mjs: consumes the given queues until told to stop,
// then reports the probe actor's start latencies. A separate process, so the bench's own
// sends and heartbeat readings never wait on a blocked worker loop.
import { Worker } from "@taskq/core";
import { broker, probeLatencies } from "./actors.mjs";

const queues = process.argv.slice(2);
const worker = new Worker(broker, { concurrency: 2, queues });
await worker.start();
process.send({ ready: true, brokerId: broker.brokerId });
process.on("message", async (m) => {
  if (m !== "stop") return;
  await worker.stop({ timeout: 120_000 });
  await broker.close();
  process.send({ latencies: probeLatencies }, () => process.exit(0));
});
