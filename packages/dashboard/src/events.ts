import type { IncomingMessage, ServerResponse } from "node:http";
import type { Broker } from "@taskq/core";
import { queueSummaries } from "./queues.js";
import type { StateFeed } from "./state-feed.js";

/** How often the `counts` event is sent, ms. */
export const COUNTS_INTERVAL_MS = 1000;

/**
 * Server-Sent Events: a `counts` event `{ queues }` at once and every second while the client
 * stays, and (with message states) a `state` event `{ messageId, status }` per change the
 * feed sees. A failed read is sent as an `error` event rather than closing the stream.
 */
export function serveEvents(
  req: IncomingMessage,
  res: ServerResponse,
  broker: Broker,
  feed: StateFeed | undefined,
): void {
  res.writeHead(200, {
    "content-type": "text/event-stream; charset=utf-8",
    "cache-control": "no-store",
    connection: "keep-alive",
    "x-accel-buffering": "no",
  });
  let closed = false;
  let timer: NodeJS.Timeout | undefined;
  const send = (event: string, data: unknown) => {
    if (!closed) res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
  };
  const tick = async () => {
    try {
      send("counts", { queues: await queueSummaries(broker) });
    } catch (err) {
      send("error", { error: err instanceof Error ? err.message : String(err) });
    }
    if (!closed) timer = setTimeout(tick, COUNTS_INTERVAL_MS);
  };
  const unsubscribe = feed?.subscribe((change) => send("state", change));
  const stop = () => {
    closed = true;
    if (timer !== undefined) clearTimeout(timer);
    unsubscribe?.();
  };
  req.on("close", stop);
  res.on("close", stop);
  void tick();
}
