// Runs the example end to end in one process on the in-memory broker: a worker consumes
// while a producer sends one message per page, then everything shuts down cleanly.
import { StubBroker, setBroker, Worker } from "@taskq/core";
import { startPageServer } from "./pages.mjs";

const broker = new StubBroker();
setBroker(broker);
const { countWords } = await import("./actors.mjs");

console.log("count-words: using the in-memory StubBroker in this process");
const pages = await startPageServer();
const worker = new Worker(broker, { concurrency: 4 });
await worker.start();

for (const url of pages.urls) await countWords.send(url);
await broker.join(countWords.queueName, { timeout: 30_000 });

await worker.stop();
await pages.close();
console.log(`count-words: ${pages.urls.length} pages counted`);
