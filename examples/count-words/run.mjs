// The example end to end. With redis-server installed: a private Redis, a `taskq` worker
// process, and this process as the producer reading the counts back. Without it: the
// in-memory broker and a worker in this one process.
import { spawn } from "node:child_process";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { findBinary, startRedis } from "@taskq/test-servers";
import { startPageServer } from "./pages.mjs";

const here = dirname(fileURLToPath(import.meta.url));

function redisInstalled() {
  try {
    findBinary("redis-server", "");
    return true;
  } catch {
    return false;
  }
}

async function produce(urls) {
  const { countWords } = await import("./actors.mjs");
  const { broker, results } = await import("./broker.mjs");
  const messages = [];
  for (const url of urls) messages.push(await countWords.send(url));
  for (const [i, message] of messages.entries()) {
    const words = await message.getResult({ block: true, timeout: 30_000 });
    console.log(`count-words: ${urls[i]} -> ${words} words`);
  }
  return { broker, results };
}

const pages = await startPageServer();
try {
  if (redisInstalled()) {
    console.log(
      "count-words: using Redis (a private redis-server started for this demo) and a taskq worker process",
    );
    const redis = await startRedis();
    process.env.REDIS_URL = redis.url;
    const cli = join(
      dirname(createRequire(import.meta.url).resolve("@taskq/cli/package.json")),
      "dist",
      "cli.js",
    );
    const worker = spawn(
      process.execPath,
      [cli, "actors.mjs", "--processes", "1", "--concurrency", "4"],
      {
        cwd: here,
        env: process.env,
        stdio: ["ignore", "inherit", "pipe"],
      },
    );
    const exited = new Promise((resolve) => worker.once("exit", resolve));
    await new Promise((resolve, reject) => {
      worker.stderr.on("data", (chunk) => {
        process.stderr.write(chunk);
        if (chunk.toString().includes("ready for action")) resolve();
      });
      worker.once("exit", (code) => reject(new Error(`the taskq worker exited with code ${code}`)));
    });
    const { broker, results } = await produce(pages.urls);
    worker.kill("SIGTERM");
    const code = await exited;
    await broker.close();
    await results.close();
    await redis.stop();
    console.log(
      `count-words: ${pages.urls.length} pages counted; the worker process exited with code ${code}`,
    );
  } else {
    console.log(
      "count-words: redis-server is not installed; using the in-memory StubBroker in this one process",
    );
    const { Worker } = await import("@taskq/core");
    const { broker } = await import("./broker.mjs");
    const worker = new Worker(broker, { concurrency: 4 });
    await worker.start();
    await produce(pages.urls);
    await worker.stop();
    console.log(`count-words: ${pages.urls.length} pages counted`);
  }
} finally {
  await pages.close();
}
