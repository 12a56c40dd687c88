// A worker process for one system. Modes:
//   throughput N  — report the rate at which it consumed N jobs (from its first to its last)
//   latency       — report, per job, the time from the producer's send to the job's start
//   memory N      — consume N jobs, reporting RSS samples along the way
import { systems } from "./systems.mjs";

const [system, url, mode, countArg, concurrencyArg] = process.argv.slice(2);
const n = Number(countArg ?? 0);
const concurrency = Number(concurrencyArg ?? 50);
const impl = systems[system];
const send = (m) => process.send(m);

let done = 0;
let firstAt = 0;
let firstCpu;
const latencies = [];
const rss = [];
let sampler;

const onJob = (value) => {
  if (mode === "latency") {
    latencies.push(Number(process.hrtime.bigint()) / 1e6 - value);
    return;
  }
  if (done === 0) {
    firstAt = performance.now();
    firstCpu = process.cpuUsage();
  }
  done++;
  if (done === n) {
    const seconds = (performance.now() - firstAt) / 1000;
    const cpu = process.cpuUsage(firstCpu);
    if (sampler) clearInterval(sampler);
    // CPU time of this process (all its threads) per job, µs.
    send({ done: true, rate: n / seconds, seconds, rss, cpuPerJob: (cpu.user + cpu.system) / n });
  }
};

const stop = await impl.work(url, concurrency, onJob);
if (mode === "memory") {
  sampler = setInterval(() => {
    const m = process.memoryUsage();
    rss.push({ done, rss: m.rss, heap: m.heapUsed });
  }, 250);
}
send({ ready: true });
process.on("message", async (m) => {
  if (m === "report") send({ latencies });
  if (m === "stop") {
    await stop();
    process.exit(0);
  }
});
